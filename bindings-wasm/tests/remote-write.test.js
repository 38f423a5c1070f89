// fastprom/remote-write from Node: the separate .wasm's requests reach a real Prometheus
// (--web.enable-remote-write-receiver) and a real InfluxDB 1.x, checked through their query
// APIs; a receiver that refuses, is slow or is gone gives the right error and loses nothing
// from the registry; headers, credentials and ctx.waitUntil as documented.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, pkgDir, startInfluxDB, startPrometheus, waitFor } from './support.js';

const { Registry, Counter, Gauge, Histogram, register } = await import(path.join(pkgDir, 'node.js'));
const rw = await import(path.join(pkgDir, 'remote-write-node.js'));
const { RemoteWrite, remoteWrite, buildRemoteWriteRequests, HEADERS } = rw;

let prometheus;
let influx;

test.before(async () => {
  [prometheus, influx] = await Promise.all([startPrometheus(), startInfluxDB()]);
});

test.after(async () => {
  await Promise.all([prometheus && prometheus.stop(), influx && influx.stop()]);
});

/** A registry with a labelled counter, a gauge and a histogram, as in the Python tests. */
function sampleRegistry() {
  const registry = new Registry();
  const requests = new Counter({ name: 'js_rw_requests_total', help: 'Requests.', labelNames: ['code'], registers: [registry] });
  requests.inc({ code: '200' }, 7);
  requests.inc({ code: '500' }, 2);
  new Gauge({ name: 'js_rw_temperature_celsius', help: 'Temperature.', registers: [registry] }).set(-3.5);
  const latency = new Histogram({ name: 'js_rw_latency_seconds', help: 'Latency.', buckets: [0.1, 1], registers: [registry] });
  for (const v of [0.05, 0.5, 0.5, 3]) latency.observe(v);
  return registry;
}

/** Waits until `expr` has `n` series in Prometheus; `{ labelsKey: value }` by `names`. */
async function seriesOf(expr, names, n) {
  const result = await waitFor(async () => {
    const r = await prometheus.query(expr);
    return r.length === n && r;
  }, `${n} series for ${expr}`, 30000);
  return Object.fromEntries(result.map((s) => [names.map((k) => s.metric[k] ?? '').join(','), Number(s.value[1])]));
}

/** A loopback server that answers every request with `answer(req, body)` ({ status, body, delayMs }), and keeps what it got. */
async function fakeReceiver(answer) {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      got.push({ method: req.method, url: req.url, headers: req.headers, body });
      const { status = 204, text = '', delayMs = 0 } = answer(req, body) || {};
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
      }, delayMs);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/api/v1/write`,
    got,
    close: () => new Promise((r) => server.close(r)),
  };
}

test('the separate module is its own .wasm, and the main package does not load it', () => {
  const files = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(files.exports['./remote-write'].node, './remote-write-node.js');
  assert.equal(files.exports['./remote-write'].workerd, './remote-write-workerd.js');
  for (const entry of ['node.js', 'web.js', 'workerd.js', 'api.js']) {
    assert.doesNotMatch(readFileSync(path.join(pkgDir, entry), 'utf8'), /remote.write/i, entry);
  }
  assert.deepEqual(HEADERS, {
    'Content-Encoding': 'snappy',
    'Content-Type': 'application/x-protobuf',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
  });
});

test('a write arrives in Prometheus with its labels and values, stamped now', async () => {
  const registry = sampleRegistry();
  registry.setDefaultLabels({ region: 'eu' });
  const before = Date.now();
  const sent = await remoteWrite(prometheus.writeUrl, { externalLabels: { job: 'js-rw', instance: 'isolate-1' } }, registry);
  // 2 counter series, a gauge, 3 buckets + sum + count.
  assert.deepEqual(sent, { series: 8, requests: 1 });
  assert.deepEqual(await seriesOf('js_rw_requests_total{job="js-rw"}', ['code', 'instance', 'region'], 2), {
    '200,isolate-1,eu': 7,
    '500,isolate-1,eu': 2,
  });
  assert.deepEqual(await seriesOf('js_rw_temperature_celsius{job="js-rw"}', [], 1), { '': -3.5 });
  assert.deepEqual(await seriesOf('js_rw_latency_seconds_bucket{job="js-rw"}', ['le'], 3), {
    '0.1': 1,
    '1.0': 3,
    '+Inf': 4,
  });
  assert.deepEqual(await seriesOf('js_rw_latency_seconds_count{job="js-rw"}', [], 1), { '': 4 });
  assert.deepEqual(await seriesOf('js_rw_latency_seconds_sum{job="js-rw"}', [], 1), { '': 4.05 });
  const [stamped] = await prometheus.query('timestamp(js_rw_temperature_celsius{job="js-rw"})');
  const ms = Number(stamped.value[1]) * 1000;
  assert.ok(ms >= before - 1 && ms <= Date.now() + 1, `${ms} not within [${before}, now]`);
});

test('the series own label wins over an external one; metadata can be left out', async () => {
  const registry = new Registry();
  const jobs = new Counter({ name: 'js_rw_jobs_total', help: 'Jobs run.', labelNames: ['job'], registers: [registry] });
  jobs.inc({ job: 'own' });
  await new RemoteWrite(prometheus.writeUrl, { externalLabels: { job: 'external', instance: 'i' } }, registry).write();
  assert.deepEqual(await seriesOf('js_rw_jobs_total', ['job', 'instance'], 1), { 'own,i': 1 });
  // Prometheus keeps no metadata from remote writes; the Python suite decodes it with a
  // reference decoder. Here: leaving it out makes the body smaller, the series the same.
  const [withMeta] = await buildRemoteWriteRequests(registry);
  const [without] = await buildRemoteWriteRequests(registry, { metadata: false });
  assert.equal(withMeta.series, without.series);
  assert.ok(withMeta.body.length > without.body.length, `${withMeta.body.length} <= ${without.body.length}`);
});

test('a large registry is split into several requests, and every series arrives', async () => {
  const registry = new Registry();
  const wide = new Gauge({ name: 'js_rw_wide', help: 'Many series.', labelNames: ['i'], registers: [registry] });
  for (let i = 0; i < 3000; i++) wide.set({ i: String(i) }, i);
  const options = { maxRequestBytes: 16 * 1024, externalLabels: { job: 'js-wide' } };
  const bodies = await buildRemoteWriteRequests(registry, options);
  assert.ok(bodies.length >= 5, `${bodies.length} bodies`);
  assert.equal(bodies.reduce((n, b) => n + b.series, 0), 3000);
  const sent = await remoteWrite(prometheus.writeUrl, options, registry);
  assert.deepEqual(sent, { series: 3000, requests: bodies.length });
  const [count] = await waitFor(async () => {
    const r = await prometheus.query('count(js_rw_wide{job="js-wide"})');
    return r.length && Number(r[0].value[1]) === 3000 && r;
  }, '3000 series', 30000);
  assert.equal(Number(count.value[1]), 3000);
  const [sum] = await prometheus.query('sum(js_rw_wide{job="js-wide"})');
  assert.equal(Number(sum.value[1]), (2999 * 3000) / 2);
});

test('a write arrives in InfluxDB through its Prometheus endpoint', async () => {
  const registry = sampleRegistry();
  const sent = await remoteWrite(influx.writeUrl, { externalLabels: { job: 'js-influx' } }, registry);
  assert.equal(sent.series, 8);
  const series = await waitFor(async () => {
    const s = await influx.select('SELECT "value", "code" FROM "js_rw_requests_total" WHERE "job" = \'js-influx\' GROUP BY "code"');
    return s.length === 2 && s;
  }, 'the counter in InfluxDB', 30000);
  const byCode = Object.fromEntries(series.map((s) => [s.tags.code, s.values.map((v) => v[1])]));
  assert.deepEqual(byCode, { 200: [7], 500: [2] });
});

test('headers, bearer tokens and basic auth go with every request', async () => {
  const receiver = await fakeReceiver(() => ({ status: 204 }));
  try {
    const registry = sampleRegistry();
    await remoteWrite(receiver.url, { headers: { 'X-Scope-OrgID': 'team-a' }, bearerToken: 's3cret' }, registry);
    await remoteWrite(receiver.url, { auth: { username: 'u', password: 'p w' } }, registry);
    assert.equal(receiver.got.length, 2);
    const [first, second] = receiver.got;
    assert.equal(first.method, 'POST');
    assert.equal(first.headers['content-encoding'], 'snappy');
    assert.equal(first.headers['content-type'], 'application/x-protobuf');
    assert.equal(first.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(first.headers['x-scope-orgid'], 'team-a');
    assert.equal(first.headers.authorization, 'Bearer s3cret');
    assert.equal(second.headers.authorization, `Basic ${Buffer.from('u:p w').toString('base64')}`);
    assert.ok(first.body.length > 0);
  } finally {
    await receiver.close();
  }
});

test('a refusal rejects with the status, says whether to retry, and the registry keeps its values', async () => {
  const answers = [
    { status: 500, text: 'boom', retryable: true },
    { status: 429, text: 'slow down', retryable: true },
    { status: 400, text: 'out of order sample', retryable: false },
  ];
  let next;
  const receiver = await fakeReceiver(() => next);
  const registry = new Registry();
  const done = new Counter({ name: 'js_rw_kept_total', help: 'Kept.', registers: [registry] });
  done.inc(5);
  try {
    for (const a of answers) {
      next = a;
      await assert.rejects(remoteWrite(receiver.url, {}, registry), (err) => {
        assert.equal(err.code, 'ERR_REMOTE_WRITE_STATUS');
        assert.equal(err.status, a.status);
        assert.equal(err.body, a.text);
        assert.equal(err.retryable, a.retryable);
        assert.equal(err.sent, 0);
        assert.match(err.message, new RegExp(`answered ${a.status}: ${a.text}`));
        return true;
      });
    }
  } finally {
    await receiver.close();
  }
  // Nothing left the registry: the next write to a working receiver carries the value.
  done.inc(1);
  await remoteWrite(prometheus.writeUrl, { externalLabels: { job: 'js-kept' } }, registry);
  assert.deepEqual(await seriesOf('js_rw_kept_total{job="js-kept"}', [], 1), { '': 6 });
});

test('a receiver that is gone or too slow rejects as retryable', async () => {
  const closed = await freePort();
  await assert.rejects(remoteWrite(`http://127.0.0.1:${closed}/api/v1/write`, {}, sampleRegistry()), (err) => {
    assert.equal(err.code, 'ERR_REMOTE_WRITE_FAILED');
    assert.equal(err.retryable, true);
    assert.ok(err.cause);
    return true;
  });
  const slow = await fakeReceiver(() => ({ status: 204, delayMs: 5000 }));
  try {
    const started = Date.now();
    await assert.rejects(remoteWrite(slow.url, { timeout: 200 }, sampleRegistry()), (err) => {
      assert.equal(err.code, 'ERR_REMOTE_WRITE_TIMEOUT');
      assert.equal(err.retryable, true);
      assert.match(err.message, /timed out after 200 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 4000);
  } finally {
    await slow.close();
  }
});

test('a failure on the second request says how many went through', async () => {
  let n = 0;
  const receiver = await fakeReceiver(() => ({ status: ++n === 2 ? 503 : 204 }));
  try {
    const registry = new Registry();
    const wide = new Gauge({ name: 'js_rw_split', help: 'Split.', labelNames: ['i'], registers: [registry] });
    for (let i = 0; i < 2000; i++) wide.set({ i: String(i) }, i);
    await assert.rejects(remoteWrite(receiver.url, { maxRequestBytes: 8192 }, registry), (err) => {
      assert.equal(err.status, 503);
      assert.equal(err.sent, 1);
      return true;
    });
    assert.equal(receiver.got.length, 2);
  } finally {
    await receiver.close();
  }
});

test('flush hands the write to ctx.waitUntil, at most once per interval, errors to onError', async () => {
  const registry = sampleRegistry();
  const writer = new RemoteWrite(prometheus.writeUrl, { externalLabels: { job: 'js-flush' } }, registry);
  const waited = [];
  const ctx = { waitUntil: (p) => waited.push(p) };
  assert.equal(writer.flush(ctx, { minIntervalMs: 60000 }), true);
  assert.equal(writer.flush(ctx, { minIntervalMs: 60000 }), false);
  assert.equal(waited.length, 1);
  await waited[0];
  assert.deepEqual(await seriesOf('js_rw_temperature_celsius{job="js-flush"}', [], 1), { '': -3.5 });

  const errors = [];
  const gone = new RemoteWrite(`http://127.0.0.1:${await freePort()}/api/v1/write`, {}, registry);
  assert.equal(gone.flush(ctx, { onError: (e) => errors.push(e) }), true);
  await waited[1];
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'ERR_REMOTE_WRITE_FAILED');
  assert.throws(() => writer.flush({}), { code: 'ERR_INVALID_ARGUMENT' });
});

test('the default registry is the main package\'s', async () => {
  const name = 'js_rw_default_registry_total';
  const c = new Counter({ name, help: 'On the default registry.' });
  try {
    c.inc(3);
    const bodies = await buildRemoteWriteRequests();
    assert.ok(bodies.length >= 1);
    await remoteWrite(prometheus.writeUrl, { externalLabels: { job: 'js-default' } });
    assert.deepEqual(await seriesOf(`${name}{job="js-default"}`, [], 1), { '': 3 });
  } finally {
    register.removeSingleMetric(name);
  }
});

test('writes of one RemoteWrite go one after the other, each stamped later', async () => {
  // Three writes started at once, with the clock standing still (as in a Worker request).
  const realNow = Date.now;
  const frozen = realNow();
  Date.now = () => frozen;
  const registry = new Registry();
  new Gauge({ name: 'js_rw_frozen', help: 'Frozen clock.', registers: [registry] }).set(1);
  const writer = new RemoteWrite(prometheus.writeUrl, { externalLabels: { job: 'js-frozen' } }, registry);
  let results;
  try {
    results = await Promise.all([writer.write(), writer.write(), writer.write()]);
  } finally {
    Date.now = realNow;
  }
  // Prometheus took all three: none was refused as a duplicate or out of order.
  assert.deepEqual(results.map((r) => r.requests), [1, 1, 1]);
  const result = await waitFor(async () => {
    const r = await prometheus.query('count_over_time(js_rw_frozen{job="js-frozen"}[1h])');
    return r.length && Number(r[0].value[1]) === 3 && r;
  }, 'three samples', 30000);
  assert.equal(Number(result[0].value[1]), 3);
  const [last] = await prometheus.query('timestamp(js_rw_frozen{job="js-frozen"})');
  assert.equal(Math.round(Number(last.value[1]) * 1000), frozen + 2);
});

test('credentials are sent as UTF-8', async () => {
  const receiver = await fakeReceiver(() => ({ status: 204 }));
  try {
    await remoteWrite(receiver.url, { auth: { username: 'zoë', password: 'пароль' } }, sampleRegistry());
    assert.equal(receiver.got[0].headers.authorization, `Basic ${Buffer.from('zoë:пароль', 'utf8').toString('base64')}`);
  } finally {
    await receiver.close();
  }
});

test('bad arguments throw clear errors', async () => {
  assert.throws(() => new RemoteWrite(prometheus.writeUrl, { maxRequestBytes: 2 ** 32 + 1 }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /maxRequestBytes/,
  });
  assert.throws(() => new RemoteWrite(prometheus.writeUrl, { timeout: Infinity }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => new RemoteWrite(prometheus.writeUrl, { timeout: 2 ** 31 }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => new RemoteWrite('prometheus:9090/api/v1/write'), { code: 'ERR_INVALID_ARGUMENT', message: /http:\/\/ or https:\/\// });
  assert.throws(() => new RemoteWrite(prometheus.writeUrl, { auth: { username: 'a', password: 'b' }, bearerToken: 't' }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /exclude each other/,
  });
  assert.throws(() => new RemoteWrite(prometheus.writeUrl, { externalLabels: ['job'] }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => new RemoteWrite(prometheus.writeUrl, { timeout: 0 }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(buildRemoteWriteRequests(sampleRegistry(), { maxRequestBytes: -1 }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(buildRemoteWriteRequests({ metrics: async () => 'x 1\n' }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /fastprom Registry/,
  });
});
