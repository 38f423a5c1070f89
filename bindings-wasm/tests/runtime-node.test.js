// examples/wasm/node.mjs run as a user would: its exposition on stdout, its push read back
// from a real Pushgateway.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { examplesDir, run, samples, startGateway } from './support.js';

let gateway;

test.before(async () => {
  gateway = await startGateway();
});

test.after(() => gateway && gateway.stop());

test('examples/wasm/node.mjs prints its metrics and pushes them', async () => {
  const { code, stdout, stderr } = await run(process.execPath, [path.join(examplesDir, 'node.mjs'), gateway.url]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^# TYPE example_jobs_total counter\nexample_jobs_total\{outcome="done"\} 8\.0\nexample_jobs_total\{outcome="failed"\} 2\.0\n/m);
  assert.match(stdout, /^example_job_seconds_count 10\.0$/m);
  assert.match(stderr, /pushed to http:\/\/127\.0\.0\.1:\d+: 200/);
  const group = await gateway.group({ job: 'example_node', instance: 'node' });
  assert.deepEqual(samples(group, 'example_jobs_total').map(([l, v]) => [l.outcome, v]), [
    ['done', '8'],
    ['failed', '2'],
  ]);
  assert.equal(group.example_job_seconds.type, 'HISTOGRAM');
  assert.equal(group.example_job_seconds.metrics[0].count, '10');
});
