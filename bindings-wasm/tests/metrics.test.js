// The metric API against the built package (its Node entry): what prom-client-style calls
// put in the exposition, byte for byte.
import test from 'node:test';
import assert from 'node:assert/strict';
import prom, { Registry, Counter, Gauge, Histogram } from '../pkg/node.js';

test('counter with labels: inc(labels, value), inc(value), children', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'http_requests', help: 'Requests served.', labelNames: ['method', 'code'], registers: [reg] });
  c.inc({ method: 'GET', code: '200' });
  c.inc({ code: 200, method: 'GET' }, 2);
  const post = c.labels('POST', '500');
  post.inc();
  post.inc(0.5);
  c.labels({ method: 'PUT', code: '201' }).inc(4);
  assert.equal(
    await reg.metrics(),
    '# HELP http_requests_total Requests served.\n' +
      '# TYPE http_requests_total counter\n' +
      'http_requests_total{code="200",method="GET"} 3.0\n' +
      'http_requests_total{code="500",method="POST"} 1.5\n' +
      'http_requests_total{code="201",method="PUT"} 4.0\n',
  );
});

test('unlabelled counter and gauge; reset and remove', async () => {
  const reg = new Registry();
  const jobs = new Counter({ name: 'jobs_total', help: 'Jobs run.', registers: [reg] });
  const temp = new Gauge({ name: 'temperature', help: 'Degrees.', labelNames: ['room'], registers: [reg] });
  jobs.inc();
  jobs.inc(2);
  temp.set({ room: 'kitchen' }, 21.5);
  temp.inc({ room: 'kitchen' });
  temp.dec({ room: 'kitchen' }, 0.25);
  temp.labels('hall').set(-3);
  temp.labels('attic').set(30);
  temp.remove('attic');
  assert.equal(
    await reg.metrics(),
    '# HELP jobs_total Jobs run.\n' +
      '# TYPE jobs_total counter\n' +
      'jobs_total 3.0\n' +
      '# HELP temperature Degrees.\n' +
      '# TYPE temperature gauge\n' +
      'temperature{room="kitchen"} 22.25\n' +
      'temperature{room="hall"} -3.0\n',
  );
  jobs.reset();
  temp.reset();
  assert.equal(
    await reg.metrics(),
    '# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 0.0\n' +
      '# HELP temperature Degrees.\n# TYPE temperature gauge\n',
  );
});

test('histogram with buckets, OpenMetrics content type', async () => {
  const reg = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
  assert.equal(reg.contentType, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  const h = new Histogram({ name: 'latency_seconds', help: 'Latency.', buckets: [0.1, 1], registers: [reg] });
  h.observe(0.05);
  h.observe(0.5);
  h.observe(7);
  assert.equal(
    await reg.metrics(),
    '# HELP latency_seconds Latency.\n' +
      '# TYPE latency_seconds histogram\n' +
      'latency_seconds_bucket{le="0.1"} 1.0\n' +
      'latency_seconds_bucket{le="1.0"} 2.0\n' +
      'latency_seconds_bucket{le="+Inf"} 3.0\n' +
      'latency_seconds_count 3.0\n' +
      'latency_seconds_sum 7.55\n' +
      '# EOF\n',
  );
});

test('default registry, contentType, clear', async () => {
  assert.equal(prom.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(prom.register.contentType, prom.contentType);
  const g = new Gauge({ name: 'default_registry_gauge', help: 'In the default registry.' });
  g.set(1);
  assert.equal(prom.register.getSingleMetric('default_registry_gauge'), g);
  assert.match(await prom.register.metrics(), /^default_registry_gauge 1\.0$/m);
  prom.register.clear();
  assert.equal(await prom.register.metrics(), '');
  // Cleared, the name is free again.
  new Gauge({ name: 'default_registry_gauge', help: 'Again.' });
  prom.register.clear();
});

test('remove by labels object, histogram children, setToCurrentTime', async () => {
  const reg = new Registry();
  const g = new Gauge({ name: 'queue', help: 'Queued.', labelNames: ['q', 'host'], registers: [reg] });
  g.set({ q: 'a', host: 'h1' }, 1);
  g.set({ q: 'b', host: 'h1' }, 2);
  g.set({ q: 'b', host: 'h2' }, 3);
  g.remove({ host: 'h1', q: 'b' });
  const h = new Histogram({ name: 'size', help: 'Sizes.', labelNames: ['kind'], buckets: [10], registers: [reg] });
  const big = h.labels('big');
  big.observe(20);
  h.observe({ kind: 'big' }, 5);
  const t = new Gauge({ name: 'last_run', help: 'When.', registers: [reg] });
  const before = Date.now() / 1000;
  t.setToCurrentTime();
  const text = await reg.metrics();
  const stamped = Number(/^last_run (\S+)$/m.exec(text)[1]);
  assert.ok(stamped >= before - 1 && stamped <= Date.now() / 1000 + 1, `${stamped}`);
  assert.equal(
    text.replace(/^last_run \S+$/m, 'last_run T'),
    '# HELP queue Queued.\n' +
      '# TYPE queue gauge\n' +
      'queue{host="h1",q="a"} 1.0\n' +
      'queue{host="h2",q="b"} 3.0\n' +
      '# HELP size Sizes.\n' +
      '# TYPE size histogram\n' +
      'size_bucket{kind="big",le="10.0"} 1.0\n' +
      'size_bucket{kind="big",le="+Inf"} 2.0\n' +
      'size_count{kind="big"} 2.0\n' +
      'size_sum{kind="big"} 25.0\n' +
      '# HELP last_run When.\n' +
      '# TYPE last_run gauge\n' +
      'last_run T\n',
  );
});
