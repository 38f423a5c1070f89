// Pushes to a real Pushgateway (the Debian package), started on a free loopback port and
// stopped by PID; what arrived is read back through its /api/v1/metrics.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Registry, Counter, Gauge, Pushgateway } from '../pkg/node.js';
import { freePort, startGateway } from './support.js';

let gateway;
let url;

test.before(async () => {
  gateway = await startGateway();
  url = gateway.url;
});

test.after(() => gateway && gateway.stop());

/** The gateway's groups, as its API lists them. */
function groups() {
  return gateway.groups();
}

test('push (PUT) with a grouping value holding "/" arrives intact', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'edge_requests', help: 'Requests.', labelNames: ['path'], registers: [reg] });
  c.inc({ path: '/a' }, 3);
  const gw = new Pushgateway(url, {}, reg);
  const { resp } = await gw.push({ jobName: 'edge', groupings: { instance: 'pop/fra 1' } });
  assert.equal(resp.status, 200);
  const group = (await groups()).find((g) => g.labels.job === 'edge');
  assert.ok(group, 'the group arrived');
  assert.equal(group.labels.instance, 'pop/fra 1');
  const m = group.edge_requests_total;
  assert.equal(m.type, 'COUNTER');
  assert.equal(m.help, 'Requests.');
  assert.deepEqual(
    m.metrics.map((s) => [s.labels.path, s.value]),
    [['/a', '3']],
  );
});

test('pushAdd (POST) keeps other names; delete removes the group', async () => {
  const first = new Registry();
  new Gauge({ name: 'kept', help: 'h', registers: [first] }).set(1);
  const second = new Registry();
  new Gauge({ name: 'added', help: 'h', registers: [second] }).set(2);
  const seen = [];
  const recording = (u, init) => {
    seen.push([init.method, u]);
    return fetch(u, init);
  };
  const params = { jobName: 'batch', groupings: { shard: '' } };
  await new Pushgateway(url, { fetch: recording }, first).push(params);
  await new Pushgateway(url, { fetch: recording }, second).pushAdd(params);
  let group = (await groups()).find((g) => g.labels.job === 'batch');
  assert.equal(group.labels.shard, '');
  assert.equal(group.kept.metrics[0].value, '1');
  assert.equal(group.added.metrics[0].value, '2');
  await new Pushgateway(url, { fetch: recording }, second).delete(params);
  group = (await groups()).find((g) => g.labels.job === 'batch');
  assert.equal(group, undefined);
  assert.deepEqual(seen, [
    ['PUT', `${url}/metrics/job/batch/shard@base64/=`],
    ['POST', `${url}/metrics/job/batch/shard@base64/=`],
    ['DELETE', `${url}/metrics/job/batch/shard@base64/=`],
  ]);
});

test('a gateway answering 400 rejects with status and its message; values stay', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'kept_total', help: 'h', registers: [reg] });
  c.inc(7);
  const gw = new Pushgateway(url, {}, reg);
  await assert.rejects(gw.push({ jobName: 'bad', groupings: { 'not-a-label': 'x' } }), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'ERR_PUSH_STATUS');
    assert.equal(e.status, 400);
    assert.match(e.body, /not-a-label/);
    assert.match(e.message, /400/);
    return true;
  });
  assert.match(await reg.metrics(), /^kept_total 7\.0$/m);
});

test('a gateway that is down rejects with ERR_PUSH_FAILED; values stay', async () => {
  const reg = new Registry();
  new Counter({ name: 'offline_total', help: 'h', registers: [reg] }).inc(2);
  const down = `http://127.0.0.1:${await freePort()}`;
  await assert.rejects(new Pushgateway(down, {}, reg).pushAdd({ jobName: 'x' }), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'ERR_PUSH_FAILED');
    assert.match(e.message, /failed/);
    return true;
  });
  assert.match(await reg.metrics(), /^offline_total 2\.0$/m);
});

test('a gateway that never answers rejects after the timeout', async () => {
  const sockets = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const gw = new Pushgateway(`http://127.0.0.1:${silent.address().port}`, { timeout: 200 }, new Registry());
  try {
    await assert.rejects(gw.push({ jobName: 'slow' }), { code: 'ERR_PUSH_TIMEOUT' });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('a missing jobName rejects before any request', async () => {
  await assert.rejects(new Pushgateway(url, {}, new Registry()).push({}), { code: 'ERR_INVALID_ARGUMENT' });
});

test("mode 'no-cors' sends pushAdd only: push and delete reject before any request", async () => {
  const reg = new Registry();
  new Counter({ name: 'page_clicks', help: 'h', registers: [reg] }).inc(3);
  const seen = [];
  const recording = (u, init) => {
    seen.push([init.method, init.mode, init.keepalive]);
    return fetch(u, init);
  };
  const gw = new Pushgateway(url, { fetch: recording, mode: 'no-cors', keepalive: true }, reg);
  for (const call of [() => gw.push({ jobName: 'page' }), () => gw.delete({ jobName: 'page' })]) {
    await assert.rejects(call(), (e) => e.code === 'ERR_INVALID_ARGUMENT' && /no-cors/.test(e.message));
  }
  assert.deepEqual(seen, []);
  // Node's fetch has no CORS: the answer is an ordinary one here; a browser's is opaque
  // (browser.test.js).
  const { resp } = await gw.pushAdd({ jobName: 'page' });
  assert.equal(resp.status, 200);
  assert.deepEqual(seen, [['POST', 'no-cors', true]]);
  const group = (await groups()).find((g) => g.labels.job === 'page');
  assert.equal(group.page_clicks_total.metrics[0].value, '3');
});

test('flush pushes in the background through ctx.waitUntil, at most once per interval', async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'flushed', help: 'Flushed.', registers: [registry] });
  c.inc(2);
  const gateway = new Pushgateway(url, { timeout: 5000 }, registry);
  const waited = [];
  const ctx = { waitUntil: (p) => waited.push(p) };
  assert.equal(gateway.flush(ctx, { jobName: 'flush', groupings: { isolate: 'a' } }, { minIntervalMs: 60000 }), true);
  assert.equal(gateway.flush(ctx, { jobName: 'flush', groupings: { isolate: 'a' } }, { minIntervalMs: 60000 }), false);
  assert.equal(waited.length, 1);
  await Promise.all(waited);
  const groups = (await (await fetch(`${url}/api/v1/metrics`)).json()).data;
  const group = groups.find((g) => g.labels.job === 'flush' && g.labels.isolate === 'a');
  assert.ok(group, JSON.stringify(groups));
  assert.equal(group.flushed_total.metrics[0].value, '2');
  // A gateway that is down: the error goes to onError, the promise given to waitUntil resolves.
  const down = new Pushgateway('http://127.0.0.1:1', { timeout: 2000 }, registry);
  const errors = [];
  waited.length = 0;
  down.flush(ctx, { jobName: 'flush' }, { onError: (e) => errors.push(e.code) });
  await Promise.all(waited);
  assert.deepEqual(errors, ['ERR_PUSH_FAILED']);
  assert.throws(() => gateway.flush(undefined, { jobName: 'flush' }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => gateway.flush(ctx, { jobName: 'flush' }, { method: 'delete' }), { code: 'ERR_INVALID_ARGUMENT' });
});
