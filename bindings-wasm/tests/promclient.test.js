// Differential: the same calls on fastprom and on prom-client 15.1.3 (installed from npm,
// pinned in package.json), compared through `getMetricsAsJSON()` and `get()`. Where the two
// cannot agree, the difference is asserted explicitly, so a change on either side shows.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fastprom from '../pkg/node.js';

const require = createRequire(import.meta.url);
const promClient = require('prom-client');

test('prom-client is the pinned 15.1.3', () => {
  assert.equal(require('prom-client/package.json').version, '15.1.3');
});

/** Builds the same metrics with `lib` and makes the same calls on them. */
function populate(lib) {
  const reg = new lib.Registry();
  const requests = new lib.Counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['method', 'code'], registers: [reg] });
  requests.inc({ method: 'GET', code: 200 }, 2);
  requests.inc({ method: 'POST', code: '500' });
  requests.labels('GET', '200').inc(0.5);
  requests.labels({ method: 'PUT', code: 201 }).inc(4);
  const jobs = new lib.Counter({ name: 'jobs', help: 'Jobs, no _total in the name.', registers: [reg] });
  jobs.inc(3);
  new lib.Counter({ name: 'idle_total', help: 'Never incremented.', registers: [reg] });
  new lib.Counter({ name: 'unused_labelled', help: 'No series.', labelNames: ['x'], registers: [reg] });
  const temp = new lib.Gauge({ name: 'temperature_celsius', help: 'Temperature.', labelNames: ['room'], registers: [reg] });
  temp.set({ room: 'kitchen' }, 21.5);
  temp.inc({ room: 'kitchen' }, 0.25);
  temp.labels('hall').dec(3);
  temp.set({ room: 'attic' }, 30);
  temp.remove('attic');
  const up = new lib.Gauge({ name: 'up', help: 'Up.', registers: [reg] });
  up.set(1);
  const latency = new lib.Histogram({
    name: 'latency_seconds',
    help: 'Latency.',
    labelNames: ['route'],
    buckets: [0.1, 0.5, 2.5],
    registers: [reg],
  });
  for (const v of [0.05, 0.3, 0.3, 1, 7]) latency.observe({ route: '/a' }, v);
  latency.labels('/b').observe(0.1);
  new lib.Histogram({ name: 'empty_seconds', help: 'Nothing observed.', buckets: [1], registers: [reg] });
  const sizes = new lib.Summary({ name: 'size_bytes', help: 'Sizes.', labelNames: ['kind'], percentiles: [0.5, 0.9, 0.99], registers: [reg] });
  sizes.observe({ kind: 'small' }, 10);
  sizes.labels('big').observe(5000);
  const one = new lib.Summary({ name: 'single', help: 'One observation.', registers: [reg] });
  one.observe(0.75);
  return reg;
}

/** prom-client's JSON with label values as strings (fastprom has no other kind), `le` and `quantile` left as they are. */
function stringLabels(json) {
  for (const m of json) {
    for (const v of m.values) {
      for (const [k, x] of Object.entries(v.labels)) if (k !== 'le' && k !== 'quantile') v.labels[k] = String(x);
    }
  }
  return json;
}

/**
 * fastprom's JSON less its one documented difference: a counter whose name lacks `_total`
 * is exposed as `<name>_total`, which its samples' `metricName` says.
 */
function withoutTotalNames(json) {
  for (const m of json) {
    if (m.type !== 'counter' || m.name.endsWith('_total')) continue;
    for (const v of m.values) {
      assert.equal(v.metricName, `${m.name}_total`);
      delete v.metricName;
    }
  }
  return json;
}

test('getMetricsAsJSON agrees with prom-client on counters, gauges, histograms and summaries', async () => {
  const ours = withoutTotalNames(await populate(fastprom).getMetricsAsJSON());
  const theirs = stringLabels(await populate(promClient).getMetricsAsJSON());
  assert.deepEqual(ours, theirs);
});

test('with default labels, both add them to every value', async () => {
  const ours = populate(fastprom);
  const theirs = populate(promClient);
  ours.setDefaultLabels({ env: 'prod', room: 'ignored where the series has its own' });
  theirs.setDefaultLabels({ env: 'prod', room: 'ignored where the series has its own' });
  assert.deepEqual(withoutTotalNames(await ours.getMetricsAsJSON()), stringLabels(await theirs.getMetricsAsJSON()));
});

test('a metric get() agrees, collect callbacks included', async () => {
  for (const lib of [fastprom, promClient]) lib.register.clear();
  const results = [];
  for (const lib of [fastprom, promClient]) {
    let calls = 0;
    const g = new lib.Gauge({
      name: 'pool_size',
      help: 'Pool.',
      labelNames: ['pool'],
      async collect() {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        this.set({ pool: 'db' }, 10 * calls);
      },
    });
    results.push([await g.get(), (await lib.register.getMetricsAsJSON())[0], calls]);
    lib.register.clear();
  }
  assert.deepEqual(results[0], results[1]);
  assert.equal(results[0][2], 2);
});

test('where they differ: quantile estimates, empty summaries, label value types', async () => {
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const out = [];
  for (const lib of [fastprom, promClient]) {
    const reg = new lib.Registry();
    const s = new lib.Summary({ name: 's', help: 'h', percentiles: [0.5], registers: [reg] });
    for (const v of values) s.observe(v);
    new lib.Summary({ name: 'empty', help: 'h', percentiles: [0.5], registers: [reg] });
    const c = new lib.Counter({ name: 'c', help: 'h', labelNames: ['code'], registers: [reg] });
    c.inc({ code: 200 });
    out.push(await reg.getMetricsAsJSON());
  }
  const [ours, theirs] = out;
  // Quantiles: prom-client's t-digest interpolates between observations (5.5); fastprom's
  // estimate (within 0.1% of rank) is an observed value.
  assert.equal(theirs[0].values[0].value, 5.5);
  assert.equal(ours[0].values[0].value, 5);
  // Sum and count agree.
  assert.deepEqual(ours[0].values.slice(1), theirs[0].values.slice(1));
  // A summary with no observation: prom-client reports 0 for each quantile, fastprom NaN.
  assert.equal(theirs[1].values[0].value, 0);
  assert.ok(Number.isNaN(ours[1].values[0].value));
  // Label values: prom-client keeps the type it was given, fastprom has strings.
  assert.deepEqual(theirs[2].values[0].labels, { code: 200 });
  assert.deepEqual(ours[2].values[0].labels, { code: '200' });
});
