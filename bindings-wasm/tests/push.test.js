'use strict';
// Pushes to a real Pushgateway (the Debian package), started on a free loopback port and
// stopped by PID; what arrived is read back through its /api/v1/metrics.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const { Registry, Counter, Gauge, Pushgateway } = require('../pkg/index.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function findGateway() {
  for (const name of ['pushgateway', 'prometheus-pushgateway']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim();
    } catch {}
  }
  throw new Error('no pushgateway binary on PATH (Debian package prometheus-pushgateway)');
}

let gateway;
let url;

test.before(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  gateway = spawn(findGateway(), [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the pushgateway did not become ready');
});

test.after(() => {
  if (gateway && gateway.exitCode === null) process.kill(gateway.pid, 'SIGTERM');
});

/** The gateway's groups, as its API lists them. */
async function groups() {
  const resp = await fetch(`${url}/api/v1/metrics`);
  assert.equal(resp.status, 200);
  return (await resp.json()).data;
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
