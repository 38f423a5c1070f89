// Type-checked by `deno check` (runtime-deno.test.js), never run: index.d.ts as a
// TypeScript user of the package's web entry sees it (web.js names it with
// @ts-self-types). Each @ts-expect-error must meet an error, or the check fails.
import prom, {
  Counter,
  Enum,
  Gauge,
  Histogram,
  Info,
  Pushgateway,
  Registry,
  Summary,
  contentType,
  exponentialBuckets,
  register,
  setClock,
} from '../pkg/web.js';
import type { FastpromError, LabelValues, MetricObjectWithValues, PushError } from '../pkg/web.js';

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

const latency = new Summary({
  name: 's',
  help: 'h',
  labelNames: ['route'] as const,
  percentiles: [0.5, 0.99],
  maxAgeSeconds: 60,
  ageBuckets: 5,
  async collect() {},
});
const end: (labels?: LabelValues<'route'>) => number = latency.startTimer({ route: '/' });
const seconds: number = end();
latency.labels('/').startTimer()();
new Histogram({ name: 'h2', help: 'h', buckets: exponentialBuckets(0.01, 2, 8) }).startTimer()();
new Gauge({ name: 'g2', help: 'h', labelNames: ['a'] as const }).startTimer({ a: 'x' })();
new Info({ name: 'build', help: 'h' }).set({ version: '1.0' });
const phase = new Enum({ name: 'phase', help: 'h', labelNames: ['job'] as const, states: ['idle', 'busy'] as const });
phase.state({ job: 'j' }, 'busy');
phase.labels('j').state('idle');
registry.setDefaultLabels({ region: 'eu' });
const json: Promise<MetricObjectWithValues[]> = registry.getMetricsAsJSON();
const merged: Registry = Registry.merge([registry, register]);
setClock(() => 0);
setClock(null);
const onError = (err: FastpromError | PushError) => [err.code, (err as PushError).status];

// @ts-expect-error: a metric needs a help text
new Counter({ name: 'no_help' });
// @ts-expect-error: counters have no set
requests.set(1);
// @ts-expect-error: only the two content types
registry.setContentType('text/html');
// @ts-expect-error: not one of the states
phase.state({ job: 'j' }, 'lost');
// @ts-expect-error: an enum needs states
new Enum({ name: 'e', help: 'h' });

export { json, merged, onError, pushed, sameApi, seconds, text, type };
