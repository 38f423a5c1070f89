"""Remote write from Python against real receivers: Debian's Prometheus with
``--web.enable-remote-write-receiver`` and Debian's InfluxDB 1.x (its
``/api/v1/prom/write`` endpoint) on loopback ports, the data read back through their query
APIs; a small fault-injecting proxy in front of it for the answers it won't give on
demand (500, 429, 400, silence); the request bytes decoded by a reference decoder
(protobuf and cramjam from PyPI)."""

import base64
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import fastprom
from fastprom.core import GaugeMetricFamily
from fastprom.remote_write import (HEADERS, RemoteWriteError, RemoteWriteSender, build_remote_write_requests,
                                   push_to_remote_write)

from conftest import free_port

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'tools'))
from daemon import running_daemon  # noqa: E402
from influxdb import running_influxdb  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('prometheus') is None,
                                reason='needs Debian prometheus (make test installs it)')
PATIENCE = 60.0


@pytest.fixture(scope='module')
def prometheus():
    """A Prometheus that scrapes nothing and takes remote writes; its base URL."""
    work = tempfile.mkdtemp(prefix='fastprom-rw-')
    config = os.path.join(work, 'prometheus.yml')
    with open(config, 'w') as f:
        f.write('global:\n  scrape_interval: 1h\n')
    base = f'http://127.0.0.1:{free_port()}'
    cmd = ['prometheus', f'--config.file={config}', f'--storage.tsdb.path={work}/data',
           f'--web.listen-address={base[len("http://"):]}', '--web.enable-remote-write-receiver']
    with running_daemon('prometheus', cmd, work, lambda: urllib.request.urlopen(base + '/-/ready', timeout=2).read(),
                        PATIENCE):
        yield base


@pytest.fixture(scope='module')
def influxdb():
    """A throwaway InfluxDB 1.x with a database ``rw``; its base URL."""
    if shutil.which('influxd') is None:
        pytest.skip('needs Debian influxdb (make test installs it)')
    with running_influxdb(PATIENCE) as base:
        yield base


@pytest.fixture(scope='module')
def tls_prometheus(certs):
    """A Prometheus taking remote writes over HTTPS only, with the test CA's server
    certificate, that requires a client certificate signed by the same CA; its base URL
    and an SSL context that can query it."""
    import ssl
    work = tempfile.mkdtemp(prefix='fastprom-rw-tls-')
    config = os.path.join(work, 'prometheus.yml')
    with open(config, 'w') as f:
        f.write('global:\n  scrape_interval: 1h\n')
    web = os.path.join(work, 'web.yml')
    with open(web, 'w') as f:
        f.write(f"""tls_server_config:
  cert_file: {certs['server_cert']}
  key_file: {certs['server_key']}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {certs['ca']}
""")
    port = free_port()
    context = ssl.create_default_context(cafile=certs['ca'])
    context.load_cert_chain(certs['client_cert'], certs['client_key'])
    cmd = ['prometheus', f'--config.file={config}', f'--storage.tsdb.path={work}/data',
           f'--web.listen-address=127.0.0.1:{port}', f'--web.config.file={web}',
           '--web.enable-remote-write-receiver']
    base = f'https://127.0.0.1:{port}'
    with running_daemon('prometheus', cmd, work, lambda: urllib.request.urlopen(
            base + '/-/ready', timeout=2, context=context).read(), PATIENCE):
        yield base, context


def query(base, expr, context=None):
    url = base + '/api/v1/query?' + urllib.parse.urlencode({'query': expr})
    with urllib.request.urlopen(url, timeout=10, context=context) as r:
        return json.loads(r.read())['data']['result']


def wait_query(base, expr, want=lambda result: bool(result), context=None):
    deadline = time.monotonic() + PATIENCE
    while True:
        result = query(base, expr, context)
        if want(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f'{expr}: {result}')
        time.sleep(0.2)


def by_labels(result, *names):
    return {tuple(r['metric'].get(n, '') for n in names): float(r['value'][1]) for r in result}


def sample_registry():
    reg = fastprom.CollectorRegistry()
    requests = fastprom.Counter('rw_requests', 'Requests.', ['code'], registry=reg)
    requests.labels('200').inc(7)
    requests.labels('500').inc(2)
    fastprom.Gauge('rw_temperature_celsius', 'Temperature.', registry=reg).set(-3.5)
    latency = fastprom.Histogram('rw_latency_seconds', 'Latency.', buckets=[0.1, 1.0], registry=reg)
    for v in (0.05, 0.5, 0.5, 3.0):
        latency.observe(v)
    return reg


def test_a_push_arrives_with_its_labels_values_and_timestamps(prometheus):
    reg = sample_registry()
    before = time.time()
    sent = push_to_remote_write(prometheus + '/api/v1/write', reg,
                                external_labels={'job': 'rw1', 'instance': 'edge-1'}, created=False)
    after = time.time()
    assert sent == 2 + 1 + 5  # two counters, a gauge, 3 buckets + _count + _sum
    counters = wait_query(prometheus, 'rw_requests_total{job="rw1"}', lambda r: len(r) == 2)
    assert by_labels(counters, 'code', 'instance') == {('200', 'edge-1'): 7.0, ('500', 'edge-1'): 2.0}
    assert by_labels(query(prometheus, 'rw_temperature_celsius{job="rw1"}'), 'job') == {('rw1',): -3.5}
    buckets = query(prometheus, 'rw_latency_seconds_bucket{job="rw1"}')
    assert by_labels(buckets, 'le') == {('0.1',): 1.0, ('1.0',): 3.0, ('+Inf',): 4.0}
    assert by_labels(query(prometheus, 'rw_latency_seconds_sum{job="rw1"}'), 'job') == {('rw1',): 4.05}
    assert by_labels(query(prometheus, 'rw_latency_seconds_count{job="rw1"}'), 'job') == {('rw1',): 4.0}
    stamps = query(prometheus, 'timestamp(rw_requests_total{job="rw1"})')
    for r in stamps:
        assert before - 0.001 <= float(r['value'][1]) <= after + 0.001
    # No _created series were asked for.
    assert query(prometheus, '{__name__=~"rw_.*_created", job="rw1"}') == []


def test_a_push_arrives_in_influxdb(influxdb):
    reg = sample_registry()
    stamp = 1_700_000_000.5
    bodies = build_remote_write_requests(reg, external_labels={'job': 'rw-influx'}, created=False, timestamp=stamp)
    for body in bodies:
        req = urllib.request.Request(influxdb + '/api/v1/prom/write?db=rw', data=body, method='POST',
                                     headers=HEADERS)
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 204
    # The same through push_to_remote_write, for a second job.
    assert push_to_remote_write(influxdb + '/api/v1/prom/write?db=rw', reg, created=False,
                                external_labels={'job': 'rw-influx-2'}) == 8
    q = urllib.parse.urlencode({'db': 'rw', 'epoch': 'ms',
                                'q': 'SELECT "value", "code", "job" FROM "rw_requests_total" GROUP BY *'})
    deadline = time.monotonic() + PATIENCE
    while True:
        with urllib.request.urlopen(influxdb + '/query?' + q, timeout=10) as r:
            results = json.loads(r.read())['results'][0].get('series', [])
        rows = {(s['tags']['job'], s['tags']['code']): s['values'] for s in results}
        if len(rows) == 4:
            break
        assert time.monotonic() < deadline, results
        time.sleep(0.2)
    assert [v[1] for v in rows[('rw-influx', '200')]] == [7.0]
    assert [v[0] for v in rows[('rw-influx', '200')]] == [1_700_000_000_500]  # milliseconds kept
    assert [v[1] for v in rows[('rw-influx', '500')]] == [2.0]
    assert [v[1] for v in rows[('rw-influx-2', '200')]] == [7.0]


def _decoder():
    """WriteRequest, decoded by protobuf's own runtime from a descriptor built here."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    fd = descriptor_pb2.FileDescriptorProto(name='rw_test.proto', package='rwtest', syntax='proto3')
    f = descriptor_pb2.FieldDescriptorProto
    def message(name, *fields):
        m = fd.message_type.add(name=name)
        for number, (fname, ftype, label, type_name) in enumerate(fields, 1):
            field = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                field.type_name = type_name
        return m
    message('Label', ('name', f.TYPE_STRING, f.LABEL_OPTIONAL, None), ('value', f.TYPE_STRING, f.LABEL_OPTIONAL, None))
    message('Sample', ('value', f.TYPE_DOUBLE, f.LABEL_OPTIONAL, None),
            ('timestamp', f.TYPE_INT64, f.LABEL_OPTIONAL, None))
    message('TimeSeries', ('labels', f.TYPE_MESSAGE, f.LABEL_REPEATED, '.rwtest.Label'),
            ('samples', f.TYPE_MESSAGE, f.LABEL_REPEATED, '.rwtest.Sample'))
    meta = fd.message_type.add(name='MetricMetadata')
    for number, name, ftype in ((1, 'type', f.TYPE_INT32), (2, 'metric_family_name', f.TYPE_STRING),
                                (4, 'help', f.TYPE_STRING), (5, 'unit', f.TYPE_STRING)):
        meta.field.add(name=name, number=number, type=ftype, label=f.LABEL_OPTIONAL)
    wr = fd.message_type.add(name='WriteRequest')
    wr.field.add(name='timeseries', number=1, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED,
                 type_name='.rwtest.TimeSeries')
    wr.field.add(name='metadata', number=3, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED,
                 type_name='.rwtest.MetricMetadata')
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName('rwtest.WriteRequest'))


def test_request_bytes_decode_with_a_reference_decoder():
    import cramjam
    WriteRequest = _decoder()
    reg = sample_registry()
    bodies = build_remote_write_requests(reg, external_labels={'instance': 'i-1'}, timestamp=1700000000.25)
    assert len(bodies) == 1
    request = WriteRequest()
    request.ParseFromString(bytes(cramjam.snappy.decompress_raw(bodies[0])))
    series = {tuple((l.name, l.value) for l in ts.labels): [(s.value, s.timestamp) for s in ts.samples]
              for ts in request.timeseries}
    assert len(series) == len(request.timeseries)  # unique
    for labels in series:
        assert list(labels) == sorted(labels)  # sorted by name
        assert ('instance', 'i-1') in labels
    assert series[(('__name__', 'rw_requests_total'), ('code', '200'), ('instance', 'i-1'))] == \
        [(7.0, 1700000000250)]
    assert series[(('__name__', 'rw_latency_seconds_bucket'), ('instance', 'i-1'), ('le', '+Inf'))] == \
        [(4.0, 1700000000250)]
    created = [labels for labels in series if labels[0][1].endswith('_created')]
    assert created  # on by default, as a scrape would see them
    metadata = {m.metric_family_name: (m.type, m.help) for m in request.metadata}
    assert metadata['rw_requests_total'] == (1, 'Requests.')
    assert metadata['rw_latency_seconds'] == (3, 'Latency.')
    assert HEADERS['Content-Encoding'] == 'snappy' and HEADERS['X-Prometheus-Remote-Write-Version'] == '0.1.0'


def test_large_registries_are_split_and_all_arrive(prometheus):
    reg = fastprom.CollectorRegistry()
    g = fastprom.Gauge('rw_split', 'Split.', ['i'], registry=reg)
    for i in range(2000):
        g.labels(str(i)).set(i)
    bodies = build_remote_write_requests(reg, max_request_bytes=16 * 1024)
    assert len(bodies) > 3
    sent = push_to_remote_write(prometheus + '/api/v1/write', reg, max_request_bytes=16 * 1024,
                                external_labels={'job': 'rw-split'})
    assert sent == 2000
    result = wait_query(prometheus, 'count(rw_split{job="rw-split"})', lambda r: r and r[0]['value'][1] == '2000')
    assert result[0]['value'][1] == '2000'
    assert wait_query(prometheus, 'sum(rw_split{job="rw-split"})')[0]['value'][1] == str(sum(range(2000)))


class FaultProxy:
    """Answers the next requests with the statuses queued in ``faults`` (an int, or
    'hang' to say nothing for a while), then forwards to ``target``; records every
    request's headers."""

    def __init__(self, target):
        self.target = target
        self.faults = []
        self.seen = []
        self.forwarded = 0  # requests the receiver accepted
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                with proxy.lock:
                    proxy.seen.append(dict(self.headers))
                    fault = proxy.faults.pop(0) if proxy.faults else None
                if fault == 'hang':
                    time.sleep(1.5)
                    fault = 503
                if fault is not None:
                    self.send_response(fault)
                    if fault == 429:
                        self.send_header('Retry-After', '0')
                    self.send_header('Content-Length', '9')
                    self.end_headers()
                    self.wfile.write(b'injected\n')
                    return
                req = urllib.request.Request(proxy.target, data=body, method='POST',
                                             headers={k: v for k, v in self.headers.items()
                                                      if k.lower() not in ('host', 'content-length')})
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        status, answer = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, answer = e.code, e.read()
                if 200 <= status < 300:
                    with proxy.lock:
                        proxy.forwarded += 1
                self.send_response(status)
                self.send_header('Content-Length', str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/api/v1/write'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(prometheus):
    p = FaultProxy(prometheus + '/api/v1/write')
    yield p
    p.close()


def metric(reg, name, **labels):
    value = reg.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_the_sender_retries_5xx_429_and_silence_and_loses_nothing(prometheus, proxy):
    reg = fastprom.CollectorRegistry()
    jobs = fastprom.Counter('rw_sender_jobs', 'Jobs.', registry=reg)
    jobs.inc(5)
    proxy.faults[:] = [500, 'hang', 429, 503]
    sender = RemoteWriteSender(proxy.url, reg, interval=0.3, timeout=1.0, max_retry_delay=0.5,
                               external_labels={'job': 'rw-retry'}, headers={'X-Scope-OrgID': 'tenant-a'},
                               bearer_token='t0ken')
    try:
        wait_query(prometheus, 'rw_sender_jobs_total{job="rw-retry"}')
        jobs.inc(2)
        assert sender.flush(timeout=PATIENCE)
        wait_query(prometheus, 'rw_sender_jobs_total{job="rw-retry"}',
                   lambda r: r and float(r[0]['value'][1]) == 7.0)
    finally:
        sender.close()
    url = proxy.url
    # Every batch went once: as many samples in Prometheus as requests it accepted, and as
    # many as the sender counted sent.
    sent = metric(reg, 'fastprom_remote_write_requests_total', url=url, outcome='sent')
    # (A request the receiver took after the sender gave up on it is sent again: at least
    # once, never lost; Prometheus keeps one sample for the identical pair.)
    assert proxy.forwarded >= sent > 0
    stored = wait_query(prometheus, 'count_over_time(rw_sender_jobs_total{job="rw-retry"}[1h])')
    assert float(stored[0]['value'][1]) == sent
    assert metric(reg, 'fastprom_remote_write_requests_total', url=url, outcome='retried') >= 4
    assert metric(reg, 'fastprom_remote_write_requests_total', url=url, outcome='rejected') == 0
    assert metric(reg, 'fastprom_remote_write_batches_dropped_total', url=url, reason='queue_full') == 0
    assert metric(reg, 'fastprom_remote_write_series_sent_total', url=url) > 0
    # The sender's own metrics travel with the data.
    wait_query(prometheus, 'fastprom_remote_write_requests_total{job="rw-retry", outcome="retried"} >= 1')
    headers = proxy.seen[-1]
    assert headers['X-Scope-Orgid'] == 'tenant-a' and headers['Authorization'] == 'Bearer t0ken'
    assert headers['Content-Encoding'] == 'snappy' and headers['Content-Type'] == 'application/x-protobuf'


def test_a_refused_batch_is_dropped_counted_and_logged(prometheus, proxy, caplog):
    reg = fastprom.CollectorRegistry()
    fastprom.Gauge('rw_refused', 'Refused.', registry=reg).set(1)
    proxy.faults[:] = [400]
    with caplog.at_level('ERROR', logger='fastprom.remote_write'):
        sender = RemoteWriteSender(proxy.url, reg, interval=0.2, external_labels={'job': 'rw-400'},
                                   basic_auth=('user', 'pass'))
        try:
            wait_query(prometheus, 'rw_refused{job="rw-400"}')  # the next batch went through
        finally:
            sender.close()
    assert metric(reg, 'fastprom_remote_write_requests_total', url=proxy.url, outcome='rejected') == 1
    assert metric(reg, 'fastprom_remote_write_batches_dropped_total', url=proxy.url, reason='rejected') == 1
    assert any('refused a batch' in r.getMessage() and '400' in r.getMessage() for r in caplog.records)
    assert proxy.seen[0]['Authorization'] == 'Basic ' + base64.b64encode(b'user:pass').decode()


def test_a_receiver_that_is_down(caplog):
    closed = f'http://127.0.0.1:{free_port()}/api/v1/write'
    reg = sample_registry()
    with pytest.raises(RemoteWriteError) as info:
        push_to_remote_write(closed, reg, timeout=2)
    assert info.value.status == 0 and info.value.retryable
    # The sender keeps at most max_queue batches and counts what it drops.
    with caplog.at_level('WARNING', logger='fastprom.remote_write'):
        sender = RemoteWriteSender(closed, reg, interval=0.05, timeout=0.5, max_queue=2, max_retry_delay=0.1)
        try:
            deadline = time.monotonic() + PATIENCE
            while metric(reg, 'fastprom_remote_write_batches_dropped_total', url=closed, reason='queue_full') < 3:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert metric(reg, 'fastprom_remote_write_queue_batches', url=closed) <= 2
        finally:
            sender.close(timeout=0.5)
    assert metric(reg, 'fastprom_remote_write_requests_total', url=closed, outcome='retried') >= 1
    assert metric(reg, 'fastprom_remote_write_batches_dropped_total', url=closed, reason='shutdown') >= 1
    assert any('queue full' in r.getMessage() for r in caplog.records)


def test_close_keeps_its_deadline_against_a_receiver_that_hangs(prometheus, proxy):
    reg = fastprom.CollectorRegistry()
    fastprom.Gauge('rw_hang', 'Hang.', registry=reg).set(1)
    proxy.faults[:] = ['hang'] * 10
    sender = RemoteWriteSender(proxy.url, reg, interval=3600, timeout=30)
    time.sleep(0.3)  # the first request is hanging now
    began = time.monotonic()
    sender.close(timeout=1.0)
    assert time.monotonic() - began < 3.0
    assert metric(reg, 'fastprom_remote_write_batches_dropped_total', url=proxy.url, reason='shutdown') >= 1
    assert sender.flush(timeout=1) is False  # closed: nothing would send


def test_close_sends_the_last_values(prometheus):
    reg = fastprom.CollectorRegistry()
    g = fastprom.Gauge('rw_last', 'Last.', registry=reg)
    sender = RemoteWriteSender(prometheus + '/api/v1/write', reg, interval=3600,
                               external_labels={'job': 'rw-close'})
    wait_query(prometheus, 'rw_last{job="rw-close"}')  # the first tick, at start
    time.sleep(0.01)
    g.set(42)
    sender.close()
    wait_query(prometheus, 'rw_last{job="rw-close"}', lambda r: r and r[0]['value'][1] == '42')


def test_a_flush_during_a_slow_collection_keeps_the_batches_in_stamp_order(prometheus):
    """The thread's collection is stamped first and builds slowly; a flush from another
    thread meanwhile must not queue its later-stamped batch ahead of it, or Prometheus
    refuses the older one as out of order and it is lost."""
    reg = fastprom.CollectorRegistry()
    slow_once = threading.Event()
    collecting = threading.Event()

    class Slow:
        def collect(self):
            if threading.current_thread().name == 'fastprom-remote-write' and not slow_once.is_set():
                slow_once.set()
                collecting.set()
                time.sleep(0.5)
            yield GaugeMetricFamily('rw_order', 'Order.', value=time.time())

    reg.register(Slow())
    url = prometheus + '/api/v1/write'
    sender = RemoteWriteSender(url, reg, interval=3600, external_labels={'job': 'rw-order'}, start=False)
    try:
        sender.start()
        assert collecting.wait(10)
        assert sender.flush(timeout=10)
    finally:
        sender.close()
    assert metric(reg, 'fastprom_remote_write_requests_total', url=url, outcome='rejected') == 0
    assert metric(reg, 'fastprom_remote_write_requests_total', url=url, outcome='sent') >= 2
    wait_query(prometheus, 'rw_order{job="rw-order"}')


def test_two_senders_share_one_registry(prometheus, proxy):
    reg = fastprom.CollectorRegistry()
    fastprom.Gauge('rw_two', 'Two senders.', registry=reg).set(2)
    first = RemoteWriteSender(prometheus + '/api/v1/write', reg, interval=3600, external_labels={'job': 'rw-a'})
    second = RemoteWriteSender(proxy.url, reg, interval=3600, external_labels={'job': 'rw-b'})
    first.close()
    second.close()
    for job in ('rw-a', 'rw-b'):
        wait_query(prometheus, f'rw_two{{job="{job}"}}')
    assert metric(reg, 'fastprom_remote_write_requests_total', url=proxy.url, outcome='sent') >= 1
    # A new sender after close() on the same registry, too.
    RemoteWriteSender(proxy.url, reg, interval=3600, start=False).close()


def test_bad_arguments():
    with pytest.raises(ValueError):
        RemoteWriteSender('http://127.0.0.1:1/api/v1/write', fastprom.CollectorRegistry(), interval=0, start=False)
    with pytest.raises(ValueError):
        RemoteWriteSender('http://127.0.0.1:1/api/v1/write', fastprom.CollectorRegistry(), max_queue=0, start=False)
    with pytest.raises(ValueError):
        RemoteWriteSender('http://127.0.0.1:1/api/v1/write', fastprom.CollectorRegistry(), max_retry_delay=0,
                          start=False)
    assert build_remote_write_requests(fastprom.CollectorRegistry()) == []


def test_tls_with_a_ca_file_and_a_client_certificate(tls_prometheus, certs):
    base, context = tls_prometheus
    reg = sample_registry()
    url = base + '/api/v1/write'
    sent = push_to_remote_write(url, reg, ca_file=certs['ca'], cert_file=certs['client_cert'],
                                key_file=certs['client_key'], external_labels={'job': 'rw-tls'})
    assert sent == 11  # 2 counters and their _created, a gauge, 3 buckets, _count, _sum, _created
    result = wait_query(base, 'rw_requests_total{job="rw-tls"}', lambda r: len(r) == 2, context)
    assert by_labels(result, 'code') == {('200',): 7.0, ('500',): 2.0}

    # The background sender over the same TLS.
    with RemoteWriteSender(url, reg, interval=0.2, ca_file=certs['ca'], cert_file=certs['client_cert'],
                           key_file=certs['client_key'], external_labels={'job': 'rw-tls-sender'}):
        wait_query(base, 'rw_temperature_celsius{job="rw-tls-sender"}', context=context)


def test_tls_refusals_name_the_certificate_problem(tls_prometheus, certs):
    base, _ = tls_prometheus
    url = base + '/api/v1/write'
    # The system's roots do not know the test CA.
    with pytest.raises(RemoteWriteError) as e:
        push_to_remote_write(url, sample_registry(), cert_file=certs['client_cert'], key_file=certs['client_key'])
    assert 'CERTIFICATE_VERIFY_FAILED' in str(e.value)
    # The server's certificate is trusted, but no client certificate is offered.
    with pytest.raises(RemoteWriteError) as e:
        push_to_remote_write(url, sample_registry(), ca_file=certs['ca'])
    assert e.value.status == 0
    # The server ends the exchange once the handshake shows no client certificate: how the
    # client sees that varies (an EOF in the TLS layer, a broken pipe, a reset), but never
    # as an HTTP answer.
    assert str(e.value).startswith(f'remote write to {url}: no answer: ')
    # A CA file that does not exist is the caller's mistake, said at once.
    with pytest.raises(FileNotFoundError):
        push_to_remote_write(url, sample_registry(), ca_file=os.path.join(os.path.dirname(certs['ca']), 'nope.pem'))
