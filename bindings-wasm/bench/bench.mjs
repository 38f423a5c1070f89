// fastprom's JS package (bindings-wasm/pkg, its Node entry) against prom-client 15.1.3, in
// one Node process. After bindings-wasm/build.sh (and `npm ci` in bindings-wasm/tests,
// which `make setup` runs), from the repository root:
//
//   node --expose-gc bindings-wasm/bench/bench.mjs        # or: make bench-wasm
//
// Each of ROUNDS rounds (default 7, after one unrecorded warm-up round) times every
// workload on both libraries in turn, the one that goes first alternating from round to
// round; the table gives each side's median over the rounds and the ratio of the medians.
// The workloads:
//
// - floor: a bare `x++` loop, no library (the same figure in both columns);
// - labelled inc: `counter.inc({ method, path, code }, 1)` cycling through 1000 label
//   objects built beforehand (the same objects for both libraries);
// - kept child: `child.inc()` on the child `labels('GET', '/api/v1/items', '200')` gave;
// - metrics(): `await registry.metrics()` of one counter family with 3 labels and 10,000
//   children.
//
// Afterwards it checks that both libraries counted the same and that both expositions
// hold the 10,000 series, and exits non-zero otherwise. Diagnostic rows (fastprom only)
// split the labelled inc: the core's calls without the JS child cache (how api.js called
// the core before the cache: two string arrays through wasm-bindgen), the cache lookup,
// and the one wasm call a cached child makes.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import * as fastprom from '../pkg/node.js';
import * as raw from '../pkg/fastprom_wasm.js';

const require = createRequire(new URL('../tests/package.json', import.meta.url));
const promClient = require('prom-client');
const promVersion = require('prom-client/package.json').version;

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const INC_OPS = Number(process.env.INC_OPS ?? 1_000_000);
const SERIES = 10_000;
const SCRAPES = Number(process.env.SCRAPES ?? 5);

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
/** 1000 label objects: 4 methods x 50 paths x 5 codes. */
const LABEL_SETS = [];
for (const method of METHODS) {
  for (let p = 0; p < 50; p++) {
    for (const code of ['200', '201', '404', '500', '503']) LABEL_SETS.push({ method, path: `/api/v1/items/${p}`, code });
  }
}

/**
 * Collects garbage before a timing when Node runs with --expose-gc (make bench-wasm does),
 * so no library pays for the garbage the one timed before it left.
 */
const collectGarbage = globalThis.gc ?? (() => {});

/** Nanoseconds per call of `body(i)` over `n` calls. */
function perOp(n, body) {
  collectGarbage();
  const t0 = performance.now();
  body(n);
  return ((performance.now() - t0) * 1e6) / n;
}

/** What each library is measured on, set up once: its own registry and metrics. */
function setup(lib) {
  const registry = new lib.Registry();
  const counter = new lib.Counter({
    name: 'bench_requests_total',
    help: 'Requests.',
    labelNames: ['method', 'path', 'code'],
    registers: [registry],
  });
  const child = counter.labels('GET', '/api/v1/items', '200');
  const scrapeRegistry = new lib.Registry();
  const big = new lib.Counter({
    name: 'bench_series_total',
    help: 'Ten thousand series.',
    labelNames: ['method', 'path', 'code'],
    registers: [scrapeRegistry],
  });
  for (let i = 0; i < SERIES; i++) {
    big.inc({ method: METHODS[i % 4], path: `/api/v1/items/${Math.floor(i / 4)}`, code: String(200 + (i % 7)) }, i + 1);
  }
  return { registry, counter, child, scrapeRegistry };
}

const sides = { 'prom-client': setup(promClient), fastprom: setup(fastprom) };

/** The core's calls without the JS cache (fastprom only): where the labelled inc's time goes. */
const rawMetric = raw.RawMetric.counter('diag_total', 'Diagnostics.', ['method', 'path', 'code']);
const NAMES = ['method', 'path', 'code'];
const ORDERED = LABEL_SETS.map((l) => [l.method, l.path, l.code]);
const diagnostics = {
  'labels object -> 2 string arrays -> RawMetric.inc (no cache)': (n) => {
    for (let i = 0; i < n; i++) {
      const l = LABEL_SETS[i % 1000];
      const names = Object.keys(l);
      rawMetric.inc(names, names.map((k) => String(l[k])), 1);
    }
  },
  'values in label order -> RawMetric.inc([], values) (no cache)': (n) => {
    for (let i = 0; i < n; i++) rawMetric.inc([], ORDERED[i % 1000], 1);
  },
  'the JS cache lookup alone (`counter._hit(labels)`)': (() => {
    const c = sides.fastprom.counter;
    return (n) => {
      for (let i = 0; i < n; i++) sink += c._hit(LABEL_SETS[i % 1000]) === undefined ? 0 : 1;
    };
  })(),
  'RawChild.inc(1): a Result back (two values)': (() => {
    const c = rawMetric.labels([], ORDERED[0]);
    return (n) => {
      for (let i = 0; i < n; i++) c.inc(1);
    };
  })(),
  'RawChild.incOk(1): a bool back (what a cached child calls)': (() => {
    const c = rawMetric.labels([], ORDERED[0]);
    return (n) => {
      for (let i = 0; i < n; i++) sink += c.incOk(1) ? 0 : 1;
    };
  })(),
};

let sink = 0;
const workloads = {
  // Ten times the calls: a bare loop of a million takes about a millisecond.
  'floor: `x++` loop': () =>
    perOp(INC_OPS * 10, (n) => {
      let x = 0;
      for (let i = 0; i < n; i++) x++;
      sink += x;
    }),
  'labelled inc, 3 labels, 1000 label sets': (s) =>
    perOp(INC_OPS, (n) => {
      const c = s.counter;
      for (let i = 0; i < n; i++) c.inc(LABEL_SETS[i % 1000], 1);
    }),
  'kept child: `child.inc()`': (s) =>
    perOp(INC_OPS, (n) => {
      const c = s.child;
      for (let i = 0; i < n; i++) c.inc();
    }),
};
const scrapeName = '`await registry.metrics()`, 10,000 series';

async function scrape(s) {
  collectGarbage();
  const t0 = performance.now();
  for (let i = 0; i < SCRAPES; i++) sink += (await s.scrapeRegistry.metrics()).length;
  return ((performance.now() - t0) * 1e6) / SCRAPES;
}

const results = {};
const record = (name, side, ns) => ((results[name] ??= {})[side] ??= []).push(ns);

async function round(r, keep) {
  const order = r % 2 === 0 ? ['prom-client', 'fastprom'] : ['fastprom', 'prom-client'];
  for (const [name, fn] of Object.entries(workloads)) {
    for (const side of order) {
      const ns = fn(sides[side]);
      if (keep) record(name, side, ns);
    }
  }
  for (const side of order) {
    const ns = await scrape(sides[side]);
    if (keep) record(scrapeName, side, ns);
  }
  for (const [name, fn] of Object.entries(diagnostics)) {
    const ns = perOp(INC_OPS / 4, fn);
    if (keep) record(name, 'fastprom', ns);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(1)} ns`);

await round(0, false);
for (let r = 1; r <= ROUNDS; r++) await round(r, true);

// Both sides must have done the same work.
const [pc, fp] = [sides['prom-client'], sides.fastprom];
const pcTotal = (await pc.registry.getMetricsAsJSON())[0].values.reduce((a, v) => a + v.value, 0);
const fpTotal = (await fp.registry.getMetricsAsJSON())[0].values.reduce((a, v) => a + v.value, 0);
const pcLines = (await pc.scrapeRegistry.metrics()).split('\n').filter((l) => l.startsWith('bench_series_total{'));
const fpLines = (await fp.scrapeRegistry.metrics()).split('\n').filter((l) => l.startsWith('bench_series_total{'));
const problems = [];
if (pcTotal !== fpTotal) problems.push(`counter totals differ: prom-client ${pcTotal}, fastprom ${fpTotal}`);
if (pcLines.length !== SERIES || fpLines.length !== SERIES) {
  problems.push(`series exposed: prom-client ${pcLines.length}, fastprom ${fpLines.length}, want ${SERIES}`);
}

const wasm = readFileSync(new URL('../pkg/fastprom_wasm_bg.wasm', import.meta.url));
console.log(
  `fastprom (bindings-wasm/pkg) vs prom-client ${promVersion}; Node ${process.version}; ` +
    `${ROUNDS} rounds, medians; ${INC_OPS} calls per inc figure, ${SCRAPES} scrapes per metrics() figure; ` +
    `${globalThis.gc ? 'garbage collected before each timing' : 'no --expose-gc: garbage left for the next timing'}`,
);
console.log(
  `.wasm: ${wasm.length} bytes, ${gzipSync(wasm).length} gzipped (zlib level 6); ` +
    `load average ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}\n`,
);
console.log(`| workload | prom-client ${promVersion} | fastprom | ratio (prom-client / fastprom) |`);
console.log('| --- | ---: | ---: | ---: |');
for (const name of [...Object.keys(workloads), scrapeName]) {
  const a = median(results[name]['prom-client']);
  const b = median(results[name].fastprom);
  const ratio = name.startsWith('floor') ? '-' : `${(a / b).toFixed(2)}x`;
  console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${ratio} |`);
}
console.log('\nDiagnostics (fastprom only):\n');
console.log('| call | median |');
console.log('| --- | ---: |');
for (const name of Object.keys(diagnostics)) console.log(`| ${name} | ${fmt(median(results[name].fastprom))} |`);
if (problems.length) {
  console.error(`\nbench: FAILED checks:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nchecks: equal counter totals (${fpTotal}), ${SERIES} series in each exposition (sink ${sink > 0})`);
