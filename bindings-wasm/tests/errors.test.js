// Bad input throws a real Error with a `code` and a clear message, and changes nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter, Gauge, Histogram, Summary, Info, Enum, setClock } from '../pkg/node.js';

test('an invalid metric name throws ERR_INVALID_NAME and registers nothing', async () => {
  const reg = new Registry();
  const cases = [
    ['', 'a metric needs a name'],
    ['0starts_with_digit', 'invalid metric name "0starts_with_digit"'],
    ['has space', 'invalid metric name "has space"'],
  ];
  for (const [name, message] of cases) {
    assert.throws(
      () => new Counter({ name, help: 'h', registers: [reg] }),
      (e) => e instanceof Error && e.code === 'ERR_INVALID_NAME' && e.message === message,
      `name ${JSON.stringify(name)}`,
    );
  }
  assert.equal(await reg.metrics(), '');
});

test('a wrong label count throws ERR_LABEL_COUNT and creates no series', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'req', help: 'h', labelNames: ['method', 'code'], registers: [reg] });
  c.labels('GET', '200').inc();
  const before = await reg.metrics();
  assert.throws(
    () => c.labels('GET'),
    (e) => e instanceof Error && e.code === 'ERR_LABEL_COUNT' && e.message === 'expected 2 label values, got 1',
  );
  assert.throws(() => c.labels('GET', '200', 'extra'), { code: 'ERR_LABEL_COUNT' });
  assert.throws(() => c.inc({ method: 'GET' }), { code: 'ERR_LABEL_NAMES' });
  assert.throws(() => c.inc({ method: 'GET', code: '200', other: 'x' }), { code: 'ERR_LABEL_NAMES' });
  assert.throws(() => c.inc(), { code: 'ERR_MISSING_LABEL_VALUES' });
  assert.equal(await reg.metrics(), before);
});

test('a negative counter increment throws ERR_NEGATIVE_INCREMENT and keeps the value', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'done', help: 'h', labelNames: ['kind'], registers: [reg] });
  const child = c.labels('a');
  child.inc(5);
  assert.throws(
    () => child.inc(-1),
    (e) => e instanceof Error && e.code === 'ERR_NEGATIVE_INCREMENT' && e.message === 'counters only go up, got -1',
  );
  assert.throws(() => c.inc({ kind: 'a' }, -2), { code: 'ERR_NEGATIVE_INCREMENT' });
  assert.throws(() => c.inc({ kind: 'a' }, 'three'), { code: 'ERR_INVALID_VALUE' });
  assert.match(await reg.metrics(), /^done_total\{kind="a"\} 5\.0$/m);
});

test('other bad input: reserved and invalid label names, buckets, duplicates', async () => {
  const reg = new Registry();
  assert.throws(() => new Gauge({ name: 'g', help: 'h', labelNames: ['__x'], registers: [reg] }), {
    code: 'ERR_RESERVED_LABEL_NAME',
  });
  assert.throws(() => new Histogram({ name: 'h', help: 'h', labelNames: ['le'], registers: [reg] }), {
    code: 'ERR_RESERVED_LABEL_NAME',
  });
  assert.throws(() => new Histogram({ name: 'h', help: 'h', buckets: [2, 1], registers: [reg] }), {
    code: 'ERR_INVALID_BUCKETS',
  });
  new Gauge({ name: 'taken', help: 'h', registers: [reg] });
  assert.throws(
    () => new Gauge({ name: 'taken', help: 'h', registers: [reg] }),
    (e) => e.code === 'ERR_DUPLICATE_TIMESERIES' && /taken/.test(e.message),
  );
  assert.throws(() => new Registry('text/html'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.equal(await reg.metrics(), '# HELP taken h\n# TYPE taken gauge\ntaken 0.0\n');
});

test('a refused update of a new series leaves no series behind', async () => {
  const reg = new Registry();
  const c = new Counter({ name: 'sent', help: 'h', labelNames: ['peer'], registers: [reg] });
  const phase = new Enum({ name: 'phase', help: 'h', labelNames: ['job'], states: ['idle', 'busy'], registers: [reg] });
  const info = new Info({ name: 'svc', help: 'h', labelNames: ['name'], registers: [reg] });
  const before = await reg.metrics();
  assert.throws(() => c.inc({ peer: 'new' }, -1), { code: 'ERR_NEGATIVE_INCREMENT' });
  assert.throws(() => c.labels('new2').inc(-1), { code: 'ERR_NEGATIVE_INCREMENT' });
  c.remove('new2'); // labels() made that series; the refused inc changed nothing in it
  assert.throws(
    () => phase.state({ job: 'j1' }, 'lost'),
    (e) => e instanceof Error && e.code === 'ERR_UNKNOWN_STATE' && e.message === 'unknown state "lost"',
  );
  assert.throws(() => phase.state({ job: 'j1' }, undefined), { code: 'ERR_UNKNOWN_STATE' });
  assert.throws(() => info.set({ name: 'a' }, { name: 'clash' }), { code: 'ERR_INFO_OVERLAP' });
  assert.throws(() => info.set({ name: 'a' }, 'not an object'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.equal(await reg.metrics(), before);
  // An existing series keeps its state.
  phase.state({ job: 'j2' }, 'busy');
  assert.throws(() => phase.labels('j2').state('gone'), { code: 'ERR_UNKNOWN_STATE' });
  assert.match(await reg.metrics(), /^phase\{job="j2",phase="busy"\} 1\.0$/m);
});

test('new classes: wrong label counts and names, invalid names, bad options', async () => {
  const reg = new Registry();
  const s = new Summary({ name: 'rpc', help: 'h', labelNames: ['m'], registers: [reg] });
  const e = new Enum({ name: 'mode', help: 'h', labelNames: ['a', 'b'], states: ['x'], registers: [reg] });
  const i = new Info({ name: 'build', help: 'h', registers: [reg] });
  assert.throws(() => s.labels('a', 'b'), { code: 'ERR_LABEL_COUNT', message: 'expected 1 label values, got 2' });
  assert.throws(() => s.observe({ x: 'a' }, 1), { code: 'ERR_LABEL_NAMES' });
  assert.throws(() => s.observe(1), { code: 'ERR_MISSING_LABEL_VALUES' });
  assert.throws(() => s.startTimer({ m: 'a', extra: 'b' })(), { code: 'ERR_LABEL_NAMES' });
  assert.throws(() => e.labels('only-one'), { code: 'ERR_LABEL_COUNT' });
  assert.throws(() => e.state({ a: '1' }, 'x'), { code: 'ERR_LABEL_NAMES' });
  assert.throws(() => i.labels('x'), { code: 'ERR_NOT_LABELLED' });
  assert.throws(() => i.set({ a: 'b' }, { k: 'v' }), { code: 'ERR_NOT_LABELLED' });
  for (const [make, code] of [
    [() => new Summary({ name: 'bad name', help: 'h', registers: [reg] }), 'ERR_INVALID_NAME'],
    [() => new Info({ name: '', help: 'h', registers: [reg] }), 'ERR_INVALID_NAME'],
    [() => new Enum({ name: '1x', help: 'h', states: ['a'], registers: [reg] }), 'ERR_INVALID_NAME'],
    [() => new Enum({ name: 'e', help: 'h', labelNames: ['e'], states: ['a'], registers: [reg] }), 'ERR_RESERVED_LABEL_NAME'],
    [() => new Enum({ name: 'e', help: 'h', states: [], registers: [reg] }), 'ERR_NO_STATES'],
    [() => new Summary({ name: 's', help: 'h', labelNames: ['quantile'], registers: [reg] }), 'ERR_RESERVED_LABEL_NAME'],
    [() => new Summary({ name: 's', help: 'h', labelNames: ['bad-label'], registers: [reg] }), 'ERR_INVALID_LABEL_NAME'],
    [() => new Summary({ name: 's', help: 'h', percentiles: [0.5, 1.5], registers: [reg] }), 'ERR_INVALID_ARGUMENT'],
    [() => new Summary({ name: 's', help: 'h', percentiles: 0.5, registers: [reg] }), 'ERR_INVALID_ARGUMENT'],
    [() => new Summary({ name: 's', help: 'h', maxAgeSeconds: '60', ageBuckets: 5, registers: [reg] }), 'ERR_INVALID_ARGUMENT'],
    [() => new Summary({ name: 's', help: 'h', maxAgeSeconds: 60, ageBuckets: 5000, registers: [reg] }), 'ERR_INVALID_ARGUMENT'],
    [() => new Counter({ name: 'no_help', registers: [reg] }), 'ERR_INVALID_ARGUMENT'],
    [() => new Counter(null), 'ERR_INVALID_ARGUMENT'],
    [() => setClock('soon'), 'ERR_INVALID_ARGUMENT'],
  ]) {
    assert.throws(make, (err) => err instanceof Error && err.code === code, String(make));
  }
  assert.equal(reg.getMetricsAsArray().length, 3);
});

test('non-number values throw ERR_INVALID_VALUE and change nothing', async () => {
  const reg = new Registry();
  const g = new Gauge({ name: 'g', help: 'h', labelNames: ['k'], registers: [reg] });
  const h = new Histogram({ name: 'h', help: 'h', registers: [reg] });
  const s = new Summary({ name: 's', help: 'h', percentiles: [], registers: [reg] });
  const before = await reg.metrics();
  for (const call of [
    () => g.set({ k: 'a' }, '1'),
    () => g.inc({ k: 'a' }, null),
    () => g.labels('a').dec('2'),
    () => h.observe('0.5'),
    () => h.labels().observe(undefined),
    () => s.observe({}, 'x'),
    () => s.labels().observe(1n),
  ]) {
    assert.throws(call, (e) => e instanceof TypeError && e.code === 'ERR_INVALID_VALUE', String(call));
  }
  g.remove('a'); // labels('a') made it at zero
  assert.equal(await reg.metrics(), before);
});

test('bad default labels throw and keep the ones set before; a failed registration is undone', async () => {
  const reg = new Registry();
  new Gauge({ name: 'up', help: 'h', registers: [reg] }).set(1);
  reg.setDefaultLabels({ env: 'prod' });
  assert.throws(() => reg.setDefaultLabels({ 'bad-name': 'x' }), { code: 'ERR_INVALID_LABEL_NAME' });
  assert.throws(() => reg.setDefaultLabels({ __reserved: 'x' }), { code: 'ERR_RESERVED_LABEL_NAME' });
  assert.throws(() => reg.setDefaultLabels('env=prod'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.equal(await reg.metrics(), '# HELP up h\n# TYPE up gauge\nup{env="prod"} 1.0\n');
  const other = new Registry();
  new Gauge({ name: 'taken', help: 'h', registers: [other] });
  assert.throws(() => new Gauge({ name: 'taken', help: 'h', registers: [reg, other] }), { code: 'ERR_DUPLICATE_TIMESERIES' });
  assert.equal(reg.getSingleMetric('taken'), undefined);
  assert.equal(await reg.metrics(), '# HELP up h\n# TYPE up gauge\nup{env="prod"} 1.0\n');
});
