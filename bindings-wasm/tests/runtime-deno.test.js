// Deno (the npm package `deno`, pinned in package.json here): examples/wasm/deno.js loads
// the package's web entry, prints its exposition and pushes to a real Pushgateway; and
// `deno check` reads index.d.ts as a TypeScript user of the package would.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { examplesDir, run, samples, startGateway } from './support.js';

const require = createRequire(import.meta.url);

let gateway;
let denoDir;

test.before(async () => {
  gateway = await startGateway();
  // Deno's caches go to a folder of the test's own, not the user's.
  denoDir = mkdtempSync(path.join(os.tmpdir(), 'fastprom-deno-'));
});

test.after(async () => {
  if (gateway) await gateway.stop();
  if (denoDir) rmSync(denoDir, { recursive: true, force: true });
});

/** The deno binary from node_modules (`make setup` runs npm ci here). */
function deno() {
  try {
    return require('deno/install_api.cjs').runInstall();
  } catch (err) {
    throw new Error(`no deno in bindings-wasm/tests/node_modules (make setup installs it): ${err.message}`);
  }
}

function runDeno(args) {
  return run(deno(), args, {
    env: { ...process.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1' },
  });
}

test('examples/wasm/deno.js prints its metrics and pushes them', async () => {
  const { code, stdout, stderr } = await runDeno([
    'run',
    '--no-lock',
    '--allow-read',
    '--allow-net=127.0.0.1',
    path.join(examplesDir, 'deno.js'),
    gateway.url,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^# TYPE example_jobs_total counter\nexample_jobs_total\{outcome="done"\} 8\.0\nexample_jobs_total\{outcome="failed"\} 2\.0\n/m);
  assert.match(stdout, /^example_job_seconds_count 10\.0$/m);
  assert.equal(stderr.trim(), `pushed to ${gateway.url}: 200`);
  const group = await gateway.group({ job: 'example_deno', instance: 'deno' });
  assert.deepEqual(samples(group, 'example_jobs_total').map(([l, v]) => [l.outcome, v]), [
    ['done', '8'],
    ['failed', '2'],
  ]);
  assert.equal(group.example_job_seconds.metrics[0].count, '10');
});

test('index.d.ts types the web entry for TypeScript (deno check types-check.ts)', async () => {
  const file = fileURLToPath(new URL('types-check.ts', import.meta.url));
  const { code, stdout, stderr } = await runDeno(['check', '--no-lock', file]);
  assert.equal(code, 0, stdout + stderr);
});
