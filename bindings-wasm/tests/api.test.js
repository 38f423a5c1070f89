// The prom-client API beyond counters, gauges and histograms, through the Node entry:
// Summary, startTimer under an injected clock, Info and Enum, `collect` callbacks, default
// labels, and the registry's prom-client methods; exposition checked byte for byte.
import test from 'node:test';
import assert from 'node:assert/strict';
import prom, {
  Registry,
  Counter,
  Gauge,
  Histogram,
  Summary,
  Info,
  Enum,
  setClock,
  linearBuckets,
  exponentialBuckets,
  validateMetricName,
  prometheusContentType,
  openMetricsContentType,
} from '../pkg/node.js';

/** Runs `body(clock)` with the package's clock at `clock.ms` (starting at `start`), then restores it. */
async function withClock(start, body) {
  const clock = { ms: start };
  setClock(() => clock.ms);
  try {
    return await body(clock);
  } finally {
    setClock(null);
  }
}

test('summary: observe, labels, percentiles over every observation, reset, remove', async () => {
  const reg = new Registry();
  const s = new Summary({
    name: 'rpc_seconds',
    help: 'RPC time.',
    labelNames: ['method'],
    percentiles: [0.5, 0.9],
    registers: [reg],
  });
  for (let i = 1; i <= 10; i++) s.observe({ method: 'get' }, i);
  const put = s.labels('put');
  put.observe(0.25);
  s.labels({ method: 'put' }).observe(0.75);
  assert.equal(
    await reg.metrics(),
    '# HELP rpc_seconds RPC time.\n' +
      '# TYPE rpc_seconds summary\n' +
      'rpc_seconds{method="get",quantile="0.5"} 5.0\n' +
      'rpc_seconds{method="get",quantile="0.9"} 9.0\n' +
      'rpc_seconds_count{method="get"} 10.0\n' +
      'rpc_seconds_sum{method="get"} 55.0\n' +
      'rpc_seconds{method="put",quantile="0.5"} 0.25\n' +
      'rpc_seconds{method="put",quantile="0.9"} 0.75\n' +
      'rpc_seconds_count{method="put"} 2.0\n' +
      'rpc_seconds_sum{method="put"} 1.0\n',
  );
  s.remove('get');
  // A child kept before the removal of its series brings it back, as in prom-client.
  put.observe(1);
  s.remove({ method: 'put' });
  put.observe(2);
  assert.equal(
    await reg.metrics(),
    '# HELP rpc_seconds RPC time.\n' +
      '# TYPE rpc_seconds summary\n' +
      'rpc_seconds{method="put",quantile="0.5"} 2.0\n' +
      'rpc_seconds{method="put",quantile="0.9"} 2.0\n' +
      'rpc_seconds_count{method="put"} 1.0\n' +
      'rpc_seconds_sum{method="put"} 2.0\n',
  );
  s.reset();
  assert.equal(await reg.metrics(), '# HELP rpc_seconds RPC time.\n# TYPE rpc_seconds summary\n');
});

test("summary: prom-client's default percentiles; unlabelled reset starts afresh", async () => {
  const reg = new Registry();
  const s = new Summary({ name: 'size_bytes', help: 'Sizes.', registers: [reg] });
  assert.deepEqual(s.percentiles, [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999]);
  s.observe(100);
  const one = (q) => `size_bytes{quantile="${q}"} 100.0\n`;
  assert.equal(
    await reg.metrics(),
    '# HELP size_bytes Sizes.\n# TYPE size_bytes summary\n' +
      ['0.01', '0.05', '0.5', '0.9', '0.95', '0.99', '0.999'].map(one).join('') +
      'size_bytes_count 1.0\nsize_bytes_sum 100.0\n',
  );
  reg.resetMetrics();
  const nan = (q) => `size_bytes{quantile="${q}"} NaN\n`;
  assert.equal(
    await reg.metrics(),
    '# HELP size_bytes Sizes.\n# TYPE size_bytes summary\n' +
      ['0.01', '0.05', '0.5', '0.9', '0.95', '0.99', '0.999'].map(nan).join('') +
      'size_bytes_count 0.0\nsize_bytes_sum 0.0\n',
  );
  const none = new Summary({ name: 'plain', help: 'No quantiles.', percentiles: [], registers: [reg] });
  none.observe(3);
  assert.match(await reg.metrics(), /# TYPE plain summary\nplain_count 1\.0\nplain_sum 3\.0\n$/);
});

test('summary: maxAgeSeconds and ageBuckets make a sliding window on the set clock', async () => {
  await withClock(1_000_000, async (clock) => {
    const reg = new Registry();
    const s = new Summary({
      name: 'window',
      help: 'Windowed.',
      percentiles: [0.5],
      maxAgeSeconds: 10,
      ageBuckets: 2,
      registers: [reg],
    });
    s.observe(1);
    clock.ms += 6_000;
    s.observe(3);
    assert.match(await reg.metrics(), /^window\{quantile="0.5"\} 1\.0$/m);
    // 11 s after the first observation it has left the window; the second is still in.
    clock.ms += 5_000;
    assert.match(await reg.metrics(), /^window\{quantile="0.5"\} 3\.0$/m);
    clock.ms += 10_000;
    assert.equal(
      await reg.metrics(),
      '# HELP window Windowed.\n# TYPE window summary\n' +
        'window{quantile="0.5"} NaN\nwindow_count 2.0\nwindow_sum 4.0\n',
    );
  });
});

test('startTimer on every type and child, with the set clock: exact durations, end labels', async () => {
  await withClock(5_000, async (clock) => {
    const reg = new Registry();
    const h = new Histogram({ name: 'job_seconds', help: 'Jobs.', labelNames: ['kind', 'outcome'], buckets: [1, 5], registers: [reg] });
    const s = new Summary({ name: 'call_seconds', help: 'Calls.', percentiles: [0.5], registers: [reg] });
    const g = new Gauge({ name: 'last_seconds', help: 'Last.', labelNames: ['step'], registers: [reg] });

    const endH = h.startTimer({ kind: 'import' });
    clock.ms += 1_500;
    assert.equal(endH({ outcome: 'ok' }), 1.5);
    const endChild = h.labels('export', 'ok').startTimer();
    clock.ms += 7_250;
    assert.equal(endChild(), 7.25);
    const endOverride = h.labels('export', 'ok').startTimer();
    clock.ms += 250;
    assert.equal(endOverride({ outcome: 'failed' }), 0.25);

    const endS = s.startTimer();
    clock.ms += 125;
    assert.equal(endS(), 0.125);

    const endG = g.startTimer();
    clock.ms += 2_000;
    assert.equal(endG({ step: 'fetch' }), 2);
    const endGChild = g.labels('parse').startTimer();
    clock.ms += 500;
    assert.equal(endGChild(), 0.5);

    assert.equal(
      await reg.metrics(),
      '# HELP job_seconds Jobs.\n' +
        '# TYPE job_seconds histogram\n' +
        'job_seconds_bucket{kind="import",le="1.0",outcome="ok"} 0.0\n' +
        'job_seconds_bucket{kind="import",le="5.0",outcome="ok"} 1.0\n' +
        'job_seconds_bucket{kind="import",le="+Inf",outcome="ok"} 1.0\n' +
        'job_seconds_count{kind="import",outcome="ok"} 1.0\n' +
        'job_seconds_sum{kind="import",outcome="ok"} 1.5\n' +
        'job_seconds_bucket{kind="export",le="1.0",outcome="ok"} 0.0\n' +
        'job_seconds_bucket{kind="export",le="5.0",outcome="ok"} 0.0\n' +
        'job_seconds_bucket{kind="export",le="+Inf",outcome="ok"} 1.0\n' +
        'job_seconds_count{kind="export",outcome="ok"} 1.0\n' +
        'job_seconds_sum{kind="export",outcome="ok"} 7.25\n' +
        'job_seconds_bucket{kind="export",le="1.0",outcome="failed"} 1.0\n' +
        'job_seconds_bucket{kind="export",le="5.0",outcome="failed"} 1.0\n' +
        'job_seconds_bucket{kind="export",le="+Inf",outcome="failed"} 1.0\n' +
        'job_seconds_count{kind="export",outcome="failed"} 1.0\n' +
        'job_seconds_sum{kind="export",outcome="failed"} 0.25\n' +
        '# HELP call_seconds Calls.\n' +
        '# TYPE call_seconds summary\n' +
        'call_seconds{quantile="0.5"} 0.125\n' +
        'call_seconds_count 1.0\n' +
        'call_seconds_sum 0.125\n' +
        '# HELP last_seconds Last.\n' +
        '# TYPE last_seconds gauge\n' +
        'last_seconds{step="fetch"} 2.0\n' +
        'last_seconds{step="parse"} 0.5\n',
    );

    // setToCurrentTime reads the same clock.
    g.setToCurrentTime({ step: 'fetch' });
    g.labels('parse').setToCurrentTime();
    const now = `${clock.ms / 1000}`;
    assert.match(await reg.metrics(), new RegExp(`^last_seconds\\{step="fetch"\\} ${now}\n` + `last_seconds\\{step="parse"\\} ${now}$`, 'm'));
  });
  // Without a clock, timers read performance.now(): a short, non-negative duration.
  const h = new Histogram({ name: 'real_seconds', help: 'Real.', registers: [] });
  const seconds = h.startTimer()();
  assert.ok(seconds >= 0 && seconds < 1, `${seconds}`);
});

test('info: set(labels?, pairs), children, OpenMetrics', async () => {
  const reg = new Registry();
  const build = new Info({ name: 'build', help: 'Build of this service.', registers: [reg] });
  build.set({ version: '1.4.2', commit: 'abc123' });
  const svc = new Info({ name: 'service', help: 'Services.', labelNames: ['svc'], registers: [reg] });
  svc.set({ svc: 'api' }, { owner: 'team-a' });
  svc.labels('web').set({ owner: 'team-b', tier: 1 });
  assert.equal(
    await reg.metrics(),
    '# HELP build_info Build of this service.\n' +
      '# TYPE build_info gauge\n' +
      'build_info{commit="abc123",version="1.4.2"} 1.0\n' +
      '# HELP service_info Services.\n' +
      '# TYPE service_info gauge\n' +
      'service_info{owner="team-a",svc="api"} 1.0\n' +
      'service_info{owner="team-b",svc="web",tier="1"} 1.0\n',
  );
  reg.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  assert.equal(
    await reg.getSingleMetricAsString('build'),
    '# HELP build Build of this service.\n# TYPE build info\nbuild_info{commit="abc123",version="1.4.2"} 1.0',
  );
});

test('enum: state(labels?, name), children, the first state at first', async () => {
  const reg = new Registry();
  const phase = new Enum({ name: 'phase', help: 'Where the job is.', labelNames: ['job'], states: ['queued', 'running', 'done'], registers: [reg] });
  phase.state({ job: 'a' }, 'running');
  const b = phase.labels('b');
  b.state('done');
  const mode = new Enum({ name: 'mode', help: 'Mode.', states: ['on', 'off'], registers: [reg] });
  assert.deepEqual(mode.states, ['on', 'off']);
  mode.state('off');
  assert.equal(
    await reg.metrics(),
    '# HELP phase Where the job is.\n' +
      '# TYPE phase gauge\n' +
      'phase{job="a",phase="queued"} 0.0\n' +
      'phase{job="a",phase="running"} 1.0\n' +
      'phase{job="a",phase="done"} 0.0\n' +
      'phase{job="b",phase="queued"} 0.0\n' +
      'phase{job="b",phase="running"} 0.0\n' +
      'phase{job="b",phase="done"} 1.0\n' +
      '# HELP mode Mode.\n' +
      '# TYPE mode gauge\n' +
      'mode{mode="on"} 0.0\n' +
      'mode{mode="off"} 1.0\n',
  );
  mode.reset();
  assert.match(await reg.metrics(), /mode\{mode="on"\} 1\.0\nmode\{mode="off"\} 0\.0\n$/);
});

test('collect callbacks, sync and async, run with this = the metric before every read', async () => {
  const reg = new Registry();
  const order = [];
  let queue = 0;
  const depth = new Gauge({
    name: 'queue_depth',
    help: 'Queued.',
    registers: [reg],
    collect() {
      order.push('sync');
      assert.equal(this, depth);
      this.set(++queue);
    },
  });
  const remote = new Gauge({
    name: 'remote_items',
    help: 'Fetched.',
    labelNames: ['source'],
    registers: [reg],
    async collect() {
      order.push('async start');
      await new Promise((r) => setTimeout(r, 20));
      this.set({ source: 'db' }, 42);
      order.push('async end');
    },
  });
  assert.equal(
    await reg.metrics(),
    '# HELP queue_depth Queued.\n# TYPE queue_depth gauge\nqueue_depth 1.0\n' +
      '# HELP remote_items Fetched.\n# TYPE remote_items gauge\nremote_items{source="db"} 42.0\n',
  );
  assert.deepEqual(order, ['sync', 'async start', 'async end']);
  const json = await reg.getMetricsAsJSON();
  assert.equal(json[0].values[0].value, 2);
  assert.equal((await depth.get()).values[0].value, 3);
  assert.equal(await reg.getSingleMetricAsString('queue_depth'), '# HELP queue_depth Queued.\n# TYPE queue_depth gauge\nqueue_depth 4.0');
  assert.equal(remote.collect.constructor.name, 'AsyncFunction');

  // A failing collect rejects the read; the registry still works afterwards.
  const broken = new Counter({
    name: 'broken',
    help: 'Fails.',
    registers: [reg],
    async collect() {
      throw Object.assign(new Error('source down'), { code: 'ERR_SOURCE' });
    },
  });
  await assert.rejects(reg.metrics(), { code: 'ERR_SOURCE' });
  reg.removeSingleMetric(broken.name);
  // The failed read ran the other collects too (5); this one runs them again.
  assert.match(await reg.metrics(), /^queue_depth 6\.0$/m);
  assert.throws(() => new Gauge({ name: 'g', help: 'h', collect: 'no', registers: [] }), { code: 'ERR_INVALID_ARGUMENT' });
});

test('setDefaultLabels: every series, own labels win, replaced, cleared', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'req', help: 'Requests.', labelNames: ['region'], registers: [reg] });
  c.inc({ region: 'us' });
  const g = new Gauge({ name: 'up', help: 'Up.', registers: [reg] });
  g.set(1);
  reg.setDefaultLabels({ region: 'eu', app: 'shop' });
  assert.equal(
    await reg.metrics(),
    '# HELP req_total Requests.\n# TYPE req_total counter\nreq_total{app="shop",region="us"} 1.0\n' +
      '# HELP up Up.\n# TYPE up gauge\nup{app="shop",region="eu"} 1.0\n',
  );
  assert.equal(await reg.getSingleMetricAsString('up'), '# HELP up Up.\n# TYPE up gauge\nup{app="shop",region="eu"} 1.0');
  // A metric's own get() has no registry's default labels, as in prom-client.
  assert.deepEqual((await g.get()).values, [{ value: 1, labels: {} }]);
  reg.setDefaultLabels({ pod: 7 });
  assert.match(await reg.metrics(), /^up\{pod="7"\} 1\.0$/m);
  reg.setDefaultLabels({});
  assert.match(await reg.metrics(), /^up 1\.0$/m);
  reg.setDefaultLabels({ pod: 'a' });
  reg.clear();
  const again = new Gauge({ name: 'up', help: 'Up.', registers: [reg] });
  again.set(2);
  assert.equal(await reg.metrics(), '# HELP up Up.\n# TYPE up gauge\nup 2.0\n');
});

test('registry: getMetricsAsArray, removeSingleMetric, registerMetric twice, merge', async () => {
  const a = new Registry();
  const b = new Registry();
  const ca = new Counter({ name: 'a_events', help: 'A.', registers: [a] });
  const gb = new Gauge({ name: 'b_level', help: 'B.', registers: [b] });
  a.registerMetric(ca); // the same metric again: nothing happens
  assert.deepEqual(a.getMetricsAsArray(), [ca]);
  ca.inc(3);
  gb.set(7);
  const merged = Registry.merge([a, b]);
  assert.deepEqual(merged.getMetricsAsArray(), [ca, gb]);
  assert.equal(
    await merged.metrics(),
    '# HELP a_events_total A.\n# TYPE a_events_total counter\na_events_total 3.0\n' +
      '# HELP b_level B.\n# TYPE b_level gauge\nb_level 7.0\n',
  );
  // The same metric, not a copy.
  ca.inc();
  assert.match(await merged.metrics(), /^a_events_total 4\.0$/m);
  merged.removeSingleMetric('a_events');
  merged.removeSingleMetric('not_there');
  assert.deepEqual(merged.getMetricsAsArray(), [gb]);
  assert.equal(await merged.metrics(), '# HELP b_level B.\n# TYPE b_level gauge\nb_level 7.0\n');
  assert.match(await a.metrics(), /^a_events_total 4\.0$/m);
  // The name is free again.
  new Counter({ name: 'a_events', help: 'Another.', registers: [merged] }).inc();
  assert.match(await merged.metrics(), /^a_events_total 1\.0$/m);
  assert.throws(() => Registry.merge([a, new Registry(Registry.OPENMETRICS_CONTENT_TYPE)]), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => Registry.merge([a, merged]), { code: 'ERR_DUPLICATE_TIMESERIES' });
  await assert.rejects(a.getSingleMetricAsString('nothing'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => a.registerMetric({ name: 'fake', get() {} }), { code: 'ERR_INVALID_ARGUMENT' });
});

test('labels in every form: objects, positional values, numbers; kept children survive reset', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'hits', help: 'Hits.', labelNames: ['path', 'code'], registers: [reg] });
  c.inc({ path: '/', code: 200 });
  c.inc({ code: '200', path: '/' }, 2);
  c.labels('/', 200).inc();
  c.labels({ path: '/', code: '200' }).inc(0.5);
  assert.equal(c.labels('/', '200'), c.labels({ code: 200, path: '/' }), 'the same child, from the cache');
  const kept = c.labels('/x', '404');
  kept.inc();
  c.reset();
  kept.inc(5);
  c.inc({ path: '/', code: 200 });
  assert.equal(
    await reg.metrics(),
    '# HELP hits_total Hits.\n# TYPE hits_total counter\n' +
      'hits_total{code="404",path="/x"} 5.0\nhits_total{code="200",path="/"} 1.0\n',
  );
  const h = new Histogram({ name: 'lat', help: 'Latency.', labelNames: ['op'], buckets: linearBuckets(1, 1, 2), registers: [reg] });
  h.zero({ op: 'read' });
  assert.match(await reg.metrics(), /^lat_count\{op="read"\} 0\.0$/m);
});

test('helpers: bucket generators, validateMetricName, content types, the default object', () => {
  assert.deepEqual(linearBuckets(0.5, 0.5, 4), [0.5, 1, 1.5, 2]);
  assert.deepEqual(exponentialBuckets(1, 10, 3), [1, 10, 100]);
  assert.throws(() => linearBuckets(0, 1, 0), { code: 'ERR_INVALID_ARGUMENT', message: 'Linear buckets needs a positive count' });
  assert.throws(() => exponentialBuckets(0, 2, 3), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => exponentialBuckets(1, 1, 3), { code: 'ERR_INVALID_ARGUMENT' });
  assert.equal(validateMetricName('http_requests:rate5m'), true);
  assert.equal(validateMetricName('0bad'), false);
  assert.equal(validateMetricName('has-dash'), false);
  assert.equal(prometheusContentType, Registry.PROMETHEUS_CONTENT_TYPE);
  assert.equal(openMetricsContentType, Registry.OPENMETRICS_CONTENT_TYPE);
  for (const name of ['Summary', 'Info', 'Enum', 'setClock']) assert.equal(typeof prom[name], 'function', name);
});
