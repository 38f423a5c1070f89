// Cloudflare's workerd (the npm package `workerd`, pinned in package.json here) running
// examples/wasm/worker.js with its config, worker.capnp: the Worker counts requests,
// serves them on /metrics and pushes them to a real Pushgateway and remote-writes them to a
// real Prometheus (fastprom/remote-write, its own .wasm), in the background after a
// request (ctx.waitUntil) and at once on POST /push and POST /remote-write. workerd and
// the servers are stopped by PID.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  examplesDir,
  freePort,
  repoRoot,
  samples,
  startGateway,
  startPrometheus,
  stopProcess,
  waitFor,
  waitForPort,
} from './support.js';

const require = createRequire(import.meta.url);

let gateway;
let prometheus;
let workerd;
let base;
let log = '';

/** The workerd binary from node_modules (`make setup` runs npm ci here). */
function workerdBinary() {
  try {
    return require('workerd').default;
  } catch (err) {
    throw new Error(`no workerd in bindings-wasm/tests/node_modules (make setup installs it): ${err.message}`);
  }
}

test.before(async () => {
  [gateway, prometheus] = await Promise.all([startGateway(), startPrometheus()]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  workerd = spawn(
    workerdBinary(),
    ['serve', path.join(examplesDir, 'worker.capnp'), '--socket-addr', `http=127.0.0.1:${port}`],
    { cwd: repoRoot, env: { ...process.env, PUSHGATEWAY_URL: gateway.url, REMOTE_WRITE_URL: prometheus.writeUrl }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  workerd.stdout.on('data', (d) => (log += d));
  workerd.stderr.on('data', (d) => (log += d));
  try {
    await waitForPort(port, 'workerd to listen', 30000);
  } catch (err) {
    throw new Error(`${err.message}; workerd said:\n${log}`);
  }
});

test.after(async () => {
  await stopProcess(workerd);
  if (gateway) await gateway.stop();
  if (prometheus) await prometheus.stop();
});

/** worker_requests_total in Prometheus as { 'METHOD route': value }, once `ready(values)`. */
async function written(ready) {
  return waitFor(async () => {
    const result = await prometheus.query('worker_requests_total{job="worker"}');
    const values = Object.fromEntries(result.map((r) => [`${r.metric.method} ${r.metric.route}`, Number(r.value[1])]));
    return ready(values, result) && { values, result };
  }, 'the remote write to reach Prometheus', 30000);
}

test('the Worker counts requests and serves them on /metrics', async () => {
  for (let i = 0; i < 3; i++) {
    const resp = await fetch(`${base}/`);
    assert.equal(resp.status, 200);
    assert.match(await resp.text(), /^counted by isolate [0-9a-f-]{36}\n$/);
  }
  assert.equal((await fetch(`${base}/elsewhere`, { method: 'POST' })).status, 200);
  const resp = await fetch(`${base}/metrics`);
  assert.equal(resp.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(
    await resp.text(),
    '# HELP worker_requests_total Requests served by this isolate.\n' +
      '# TYPE worker_requests_total counter\n' +
      'worker_requests_total{method="GET",route="/"} 3.0\n' +
      'worker_requests_total{method="POST",route="other"} 1.0\n' +
      'worker_requests_total{method="GET",route="/metrics"} 1.0\n',
  );
});

test("the first request's background push reached the gateway", async () => {
  // ctx.waitUntil pushed after the first request, when the Worker had counted only it.
  const group = await waitFor(() => gateway.group({ job: 'worker' }), 'the background push');
  assert.match(group.labels.isolate, /^[0-9a-f-]{36}$/);
  const values = samples(group, 'worker_requests_total').map(([l, v]) => [`${l.method} ${l.route}`, v]);
  assert.deepEqual(values, [['GET /', '1']]);
});

test('POST /push pushes at once, to the isolate\'s own group', async () => {
  const resp = await fetch(`${base}/push`, { method: 'POST' });
  const answer = await resp.json();
  assert.equal(resp.status, 200, JSON.stringify(answer));
  assert.equal(answer.status, 200);
  const group = await gateway.group({ job: 'worker', isolate: answer.isolate });
  const values = Object.fromEntries(samples(group, 'worker_requests_total').map(([l, v]) => [`${l.method} ${l.route}`, v]));
  assert.deepEqual(values, { 'GET /': '3', 'POST other': '1', 'GET /metrics': '1', 'POST /push': '1' });
});

test("the first request's background remote write reached Prometheus", async () => {
  // Written after the first request (ctx.waitUntil), when the Worker had counted only it;
  // the later requests fell within the interval.
  const { values, result } = await written((v) => v['GET /'] !== undefined);
  assert.deepEqual(values, { 'GET /': 1 });
  assert.match(result[0].metric.instance, /^[0-9a-f-]{36}$/);
});

test('POST /remote-write writes at once, labelled with the isolate', async () => {
  const resp = await fetch(`${base}/remote-write`, { method: 'POST' });
  const answer = await resp.json();
  assert.equal(resp.status, 200, JSON.stringify(answer));
  assert.deepEqual([answer.series > 0, answer.requests], [true, 1]);
  const { values, result } = await written((v) => v['POST /remote-write'] !== undefined);
  assert.deepEqual(values, { 'GET /': 3, 'POST other': 1, 'GET /metrics': 1, 'POST /push': 1, 'POST /remote-write': 1 });
  assert.ok(result.every((r) => r.metric.instance === answer.isolate));
});
