"""The tutorial's two scripts run on fastprom with only the import changed.

The tutorial (a hands-on lab in Chinese on monitoring services with Prometheus,
``prometheus-service-monitoring.zh.md``) gives ``prometheus.py`` (part 1: an app serving
/metrics) and ``pushgateway.py`` (part 2: a batch job pushing to a Pushgateway). Their code,
exactly as the tutorial prints it, is kept in tests/fixtures/tutorial. The test checks that
examples/python holds that code with ``prometheus_client`` replaced by ``fastprom`` and,
besides a comment at the top, no other change than the port handling (tests and the demo
pass a free port or gateway as the first argument), then runs both scripts: the app is
scraped, and the batch job pushes to a real Pushgateway (Debian's prometheus-pushgateway) on
a free loopback port. Each run is compared with the same script on the real
prometheus_client.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, 'examples', 'python')
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'tutorial')
PUSHGATEWAY = shutil.which('prometheus-pushgateway') or shutil.which('pushgateway')

# SHA-256 of each code block as the tutorial prints it (section 3.2 and section 4.2.2),
# taken when the fixtures were copied out of it: an edit to a fixture shows here.
TUTORIAL_SHA256 = {
    'prometheus.py': '8cb31f0092f21e46b49c4904429718962cc5729dd1066331552de8a35eff33fa',
    'pushgateway.py': 'ffe8c7951c9e8179c1d2fec0eb91a01d96a79bd40f597f6a43fc0161a0759fa3',
}


def read_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as f:
        return f.read()


# The tutorial's code, byte for byte.
TUTORIAL = {name: read_fixture(name) for name in TUTORIAL_SHA256}

# The only edits besides the import: the port (or gateway) from the first argument, with
# the tutorial's value as the default, so parallel runs do not collide.
PORT_EDITS = {
    'prometheus.py': [
        ('import random\n', 'import random\nimport sys\n'),
        ('start_http_server(8000)', 'start_http_server(int(sys.argv[1]) if len(sys.argv) > 1 else 8000)'),
    ],
    'pushgateway.py': [
        ('push_to_gateway\n', 'push_to_gateway\nimport sys\n'),
        ("push_to_gateway('localhost:9091',", "push_to_gateway(sys.argv[1] if len(sys.argv) > 1 else 'localhost:9091',"),
    ],
}


def with_import(code, module):
    """The tutorial's code importing from ``module`` instead of prometheus_client."""
    assert code.count('prometheus_client') == 1
    return code.replace('from prometheus_client import', f'from {module} import')


def with_port_edits(name, code):
    for old, new in PORT_EDITS[name]:
        assert code.count(old) == 1, (name, old)
        code = code.replace(old, new)
    return code


def split_header(text):
    """(the comment block at the top, the code after it)."""
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith('#'):
        n += 1
    return ''.join(lines[:n]), ''.join(lines[n:])


@pytest.mark.parametrize('name', sorted(TUTORIAL))
def test_fixtures_are_the_tutorial_code(name):
    code = TUTORIAL[name]
    assert hashlib.sha256(code.encode('utf-8')).hexdigest() == TUTORIAL_SHA256[name], name


@pytest.mark.parametrize('name', sorted(TUTORIAL))
def test_examples_are_the_tutorial_with_only_the_import_changed(name):
    with open(os.path.join(EXAMPLES, name), encoding='utf-8') as f:
        header, code = split_header(f.read())
    assert code == with_port_edits(name, with_import(TUTORIAL[name], 'fastprom'))
    # The comment at the top says what changed.
    assert 'only the import changed' in header and 'first argument' in header, header


def run_script(name, module, arg, tmp_path):
    """Runs the example ``name`` with ``arg``; for prometheus_client, the same file with the
    import changed back. Returns the Popen (the app) or the CompletedProcess (the job)."""
    path = os.path.join(EXAMPLES, name)
    if module != 'fastprom':
        with open(path, encoding='utf-8') as f:
            text = f.read().replace('from fastprom import', f'from {module} import', 1)
        path = os.path.join(tmp_path, f'{module}_{name}')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    cmd = [sys.executable, path, arg]
    if name == 'prometheus.py':
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)


def scrape_until_observed(port, proc, timeout=30):
    """The app's /metrics once its summary has at least one observation."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, proc.stderr.read().decode(errors='replace')
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=5) as r:
                text = r.read().decode()
            m = re.search(r'^request_processing_seconds_count (\S+)$', text, re.M)
            if m and float(m.group(1)) >= 1:
                return text
        except OSError:
            pass
        assert time.monotonic() < deadline, 'the app never served an observation'
        time.sleep(0.2)


def metadata(text):
    """The # HELP / # TYPE lines and the sample names, without values."""
    meta = sorted(line for line in text.splitlines() if line.startswith('#'))
    names = sorted({re.match(r'[^{ ]+', line).group(0) for line in text.splitlines()
                    if line and not line.startswith('#')})
    return meta, names


def test_prometheus_py_serves_the_summary_and_process_metrics(tmp_path):
    texts = {}
    for module in ('fastprom', 'prometheus_client'):
        port = free_port()
        proc = run_script('prometheus.py', module, str(port), tmp_path)
        try:
            texts[module] = scrape_until_observed(port, proc)
        finally:
            proc.terminate()  # by PID, the process this test started
            proc.wait(10)
            proc.stderr.close()
    text = texts['fastprom']
    assert '# HELP request_processing_seconds Time spent processing request\n' in text
    assert '# TYPE request_processing_seconds summary\n' in text
    assert re.search(r'^request_processing_seconds_sum \S+$', text, re.M)
    for name in ('process_resident_memory_bytes', 'process_cpu_seconds_total', 'process_open_fds', 'python_info'):
        assert re.search(rf'^{name}[{{ ]', text, re.M), name
    # Same families, help texts, types and sample names as the script on prometheus_client.
    assert metadata(text) == metadata(texts['prometheus_client'])


@pytest.fixture
def pushgateway(tmp_path):
    if PUSHGATEWAY is None:
        pytest.skip('prometheus-pushgateway is not installed (make test installs it)')
    port = free_port()
    log = open(tmp_path / 'pushgateway.log', 'wb')
    # An empty persistence file keeps the gateway in memory (Debian's default file
    # under /var/lib would carry groups from one run to the next).
    proc = subprocess.Popen([PUSHGATEWAY, f'--web.listen-address=127.0.0.1:{port}', '--persistence.file='],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + '/-/ready', timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail('the Pushgateway did not start: '
                            + (tmp_path / 'pushgateway.log').read_text(errors='replace')[-2000:])
            time.sleep(0.1)
        yield f'127.0.0.1:{port}'
    finally:
        proc.terminate()  # by PID, the process this fixture started
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def gateway_group(gateway, labels):
    with urllib.request.urlopen(f'http://{gateway}/api/v1/metrics', timeout=10) as r:
        groups = json.load(r)['data']
    return next((g for g in groups if g['labels'] == labels), None)


def test_pushgateway_py_pushes_batch_a_to_a_real_gateway(pushgateway, tmp_path):
    groups = {}
    for module in ('prometheus_client', 'fastprom'):
        before = time.time()
        done = run_script('pushgateway.py', module, pushgateway, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        group = gateway_group(pushgateway, {'job': 'batchA'})
        assert group is not None, module
        metric = group['job_last_success_unixtime']
        assert metric['help'] == 'Last time a batch job successfully finished'
        assert metric['type'] == 'GAUGE'
        [sample] = metric['metrics']
        assert before - 1 <= float(sample['value']) <= time.time() + 1
        assert group['last_push_successful'] is True
        groups[module] = group
    # The same group as the script on prometheus_client pushed, but for values and times.
    def shape(group):
        return {name: (m['help'], m['type'], [s['labels'] for s in m['metrics']])
                for name, m in group.items() if isinstance(m, dict) and 'metrics' in m}
    assert shape(groups['fastprom']) == shape(groups['prometheus_client'])
    with urllib.request.urlopen(f'http://{pushgateway}/metrics', timeout=10) as r:
        text = r.read().decode()
    # The gateway adds instance="" to a group pushed without one; honor_labels keeps job.
    assert re.search(r'^job_last_success_unixtime\{instance="",job="batchA"\} \S+$', text, re.M), text
