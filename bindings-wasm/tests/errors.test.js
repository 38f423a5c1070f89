// Bad input throws a real Error with a `code` and a clear message, and changes nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter, Gauge, Histogram } from '../pkg/node.js';

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
