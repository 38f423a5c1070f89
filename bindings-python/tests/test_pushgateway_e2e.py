"""End to end against a real Pushgateway (Debian's prometheus-pushgateway), started on a
free loopback port by the test and stopped by PID."""

import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

import fastprom

from conftest import free_port

BINARY = shutil.which('prometheus-pushgateway') or shutil.which('pushgateway')
pytestmark = pytest.mark.skipif(BINARY is None, reason='prometheus-pushgateway is not installed')


@pytest.fixture(scope='module')
def pushgateway(tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp('pgw')
    proc = subprocess.Popen(
        [BINARY, f'--web.listen-address=127.0.0.1:{port}',
         f'--persistence.file={data / "pushgateway.data"}'],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, 'log'), 'wb'))
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + '/-/ready', timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail('the Pushgateway did not start: '
                        + (data / 'log').read_text(errors='replace')[-2000:])
        time.sleep(0.1)
    yield url
    proc.terminate()  # by PID, the process this fixture started
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _groups(url):
    with urllib.request.urlopen(url + '/api/v1/metrics', timeout=10) as r:
        payload = json.load(r)
    assert payload['status'] == 'success'
    return payload['data']


def _group(url, labels):
    for g in _groups(url):
        if g['labels'] == labels:
            return g
    return None


def _registry():
    registry = fastprom.CollectorRegistry()
    c = fastprom.Counter('e2e_requests', 'Requests.', ['code'], registry=registry)
    c.labels('200').inc(3)
    fastprom.Gauge('e2e_temperature', 'Temperature.', registry=registry).set(21.5)
    fastprom.Histogram('e2e_latency_seconds', 'Latency.', registry=registry).observe(0.3)
    fastprom.Summary('e2e_size_bytes', 'Size.', registry=registry).observe(512)
    fastprom.Info('e2e_build', 'Build.', registry=registry).info({'version': '1.0'})
    fastprom.Enum('e2e_state', 'State.', states=['up', 'down'], registry=registry).state('down')
    return registry


GROUPINGS = [
    ('batch', {}),
    ('batch job/with slash', {'instance': 'host a/b', 'zone': 'eu west'}),
    ('unicode', {'name': 'é/€ x', 'empty': ''}),
]


@pytest.mark.parametrize('job,grouping_key', GROUPINGS)
@pytest.mark.parametrize('compression', [None, 'gzip'])
def test_put_post_delete(pushgateway, job, grouping_key, compression):
    labels = {'job': job, **grouping_key}
    fastprom.push_to_gateway(pushgateway, job, _registry(), grouping_key=grouping_key,
                             compression=compression)
    group = _group(pushgateway, labels)
    assert group is not None, _groups(pushgateway)
    for name in ('e2e_requests_total', 'e2e_temperature', 'e2e_latency_seconds', 'e2e_size_bytes',
                 'e2e_build_info', 'e2e_state'):
        assert name in group, sorted(group)
    assert group['last_push_successful'] is True
    assert group['e2e_temperature']['metrics'][0]['value'] == '21.5'

    # POST replaces only the pushed names.
    extra = fastprom.CollectorRegistry()
    fastprom.Gauge('e2e_temperature', 'Temperature.', registry=extra).set(-4)
    fastprom.Gauge('e2e_extra', 'Extra.', registry=extra).set(7)
    fastprom.pushadd_to_gateway(pushgateway, job, extra, grouping_key=grouping_key,
                                compression=compression)
    group = _group(pushgateway, labels)
    assert group['e2e_temperature']['metrics'][0]['value'] == '-4'
    assert 'e2e_extra' in group and 'e2e_requests_total' in group

    # PUT replaces the whole group.
    fastprom.push_to_gateway(pushgateway, job, extra, grouping_key=grouping_key)
    group = _group(pushgateway, labels)
    assert 'e2e_requests_total' not in group and 'e2e_extra' in group

    fastprom.delete_from_gateway(pushgateway, job, grouping_key=grouping_key)
    assert _group(pushgateway, labels) is None


def test_gateway_scrape_shows_pushed_values(pushgateway):
    fastprom.push_to_gateway(pushgateway, 'scrape', _registry(), grouping_key={'instance': 'i/1'})
    try:
        with urllib.request.urlopen(pushgateway + '/metrics', timeout=10) as r:
            text = r.read().decode()
        assert 'e2e_requests_total{code="200",instance="i/1",job="scrape"} 3' in text
        assert 'e2e_state{e2e_state="down",instance="i/1",job="scrape"} 1' in text
    finally:
        fastprom.delete_from_gateway(pushgateway, 'scrape', grouping_key={'instance': 'i/1'})
