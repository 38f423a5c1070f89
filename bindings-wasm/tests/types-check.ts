// Type-checked by `deno check` (runtime-deno.test.js), never run: index.d.ts as a
// TypeScript user of the package's web entry sees it (web.js names it with
// @ts-self-types). Each @ts-expect-error must meet an error, or the check fails.
import prom, { Counter, Gauge, Histogram, Pushgateway, Registry, contentType, register } from '../pkg/web.js';
import type { FastpromError, LabelValues, PushError } from '../pkg/web.js';

const registry = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
const requests = new Counter({ name: 'requests', help: 'h', labelNames: ['method', 'code'] as const, registers: [registry] });
requests.inc({ method: 'GET', code: 200 }, 2);
requests.labels('GET', '200').inc();
const labels: LabelValues<'method' | 'code'> = { method: 'POST' };
requests.remove(labels);
new Gauge({ name: 'g', help: 'h' }).labels({}).setToCurrentTime();
new Histogram({ name: 'h', help: 'h', buckets: [0.1, 1] }).observe(0.5);
const text: Promise<string> = register.metrics();
const type: 'text/plain; version=0.0.4; charset=utf-8' = contentType;
const pushed: Promise<{ resp: Response; body: string }> = new Pushgateway('http://127.0.0.1:9091', {
  mode: 'no-cors',
  keepalive: true,
  timeout: 1000,
}).pushAdd({ jobName: 'j', groupings: { tab: 't' } });
const sameApi: typeof Registry = prom.Registry;
const onError = (err: FastpromError | PushError) => [err.code, (err as PushError).status];

// @ts-expect-error: a metric needs a help text
new Counter({ name: 'no_help' });
// @ts-expect-error: counters have no set
requests.set(1);
// @ts-expect-error: only the two content types
registry.setContentType('text/html');

export { onError, pushed, sameApi, text, type };
