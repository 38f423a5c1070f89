// fastprom in Node: time some jobs, print the exposition, and push it to a Pushgateway
// when one is given. After bindings-wasm/build.sh, from the repository root:
//
//   node examples/wasm/node.mjs [http://127.0.0.1:9091]
//
// An app that installed the package imports 'fastprom' instead (or require()s it, on
// Node 20.19 and later); this example imports the built package by its path.
import { Registry, Counter, Histogram, Pushgateway } from '../../bindings-wasm/pkg/node.js';

const registry = new Registry();
const jobs = new Counter({
  name: 'example_jobs',
  help: 'Jobs run, by outcome.',
  labelNames: ['outcome'],
  registers: [registry],
});
const seconds = new Histogram({
  name: 'example_job_seconds',
  help: 'Time per job.',
  buckets: [0.001, 0.01, 0.1, 1],
  registers: [registry],
});

/** A job: sums some square roots; every fifth one fails. */
function runJob(n) {
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum += Math.sqrt(i + n);
  if (n % 5 === 4) throw new Error(`job ${n} failed (${sum})`);
}

for (let n = 0; n < 10; n++) {
  const start = performance.now();
  try {
    runJob(n);
    jobs.inc({ outcome: 'done' });
  } catch {
    jobs.inc({ outcome: 'failed' });
  }
  seconds.observe((performance.now() - start) / 1000);
}

process.stdout.write(await registry.metrics());

const gatewayUrl = process.argv[2];
if (gatewayUrl) {
  const gateway = new Pushgateway(gatewayUrl, { timeout: 5000 }, registry);
  const { resp } = await gateway.pushAdd({ jobName: 'example_node', groupings: { instance: 'node' } });
  console.error(`pushed to ${gatewayUrl}: ${resp.status}`);
}
