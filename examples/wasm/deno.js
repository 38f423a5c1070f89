// fastprom in Deno: the same jobs as node.mjs, in prom-client's default registry, through
// the package's web entry (deno.json beside this file maps 'fastprom' to it). After
// bindings-wasm/build.sh, from the repository root:
//
//   deno run --allow-read --allow-net=127.0.0.1 examples/wasm/deno.js [http://127.0.0.1:9091]
//
// --allow-read lets the entry fetch the .wasm beside it (a file: URL); --allow-net the push.
import { register, Counter, Histogram, Pushgateway } from 'fastprom';

const jobs = new Counter({
  name: 'example_jobs',
  help: 'Jobs run, by outcome.',
  labelNames: ['outcome'],
});
const seconds = new Histogram({
  name: 'example_job_seconds',
  help: 'Time per job.',
  buckets: [0.001, 0.01, 0.1, 1],
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

await Deno.stdout.write(new TextEncoder().encode(await register.metrics()));

const gatewayUrl = Deno.args[0];
if (gatewayUrl) {
  const gateway = new Pushgateway(gatewayUrl, { timeout: 5000 });
  const { resp } = await gateway.pushAdd({ jobName: 'example_deno', groupings: { instance: 'deno' } });
  console.error(`pushed to ${gatewayUrl}: ${resp.status}`);
}
