// The package's shape, as an app installing it sees it: which entry each runtime's export
// condition picks, require() on Node, the same names from every entry, no Node built-ins
// in what browsers, Deno and workerd load, and `files` listing what the build made.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as node from '../pkg/node.js';
import * as raw from '../pkg/fastprom_wasm.js';
import { makeApi } from '../pkg/api.js';
import { pkgDir, run } from './support.js';

const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));

// An app folder whose node_modules/fastprom is the built package, as npm would link it.
let app;

test.before(() => {
  app = mkdtempSync(path.join(os.tmpdir(), 'fastprom-app-'));
  mkdirSync(path.join(app, 'node_modules'));
  symlinkSync(pkgDir, path.join(app, 'node_modules', 'fastprom'), 'dir');
});

test.after(() => app && rmSync(app, { recursive: true, force: true }));

/** Runs `node` in the app folder; fails the test unless it exits 0. */
async function nodeInApp(args) {
  const { code, stdout, stderr } = await run(process.execPath, args, { cwd: app });
  assert.equal(code, 0, stderr);
  return stdout;
}

test('each runtime condition resolves to its entry', async () => {
  const specifiers = ['fastprom', 'fastprom/node', 'fastprom/web', 'fastprom/workerd'];
  const script = `for (const s of ${JSON.stringify(specifiers)}) console.log(import.meta.resolve(s));`;
  const entry = (f) => pathToFileURL(path.join(pkgDir, f)).href;
  const cases = [
    [[], 'node.js'],
    [['-C', 'deno'], 'web.js'],
    [['-C', 'browser'], 'web.js'],
    [['-C', 'workerd'], 'workerd.js'],
    [['-C', 'worker'], 'workerd.js'],
  ];
  for (const [conditions, want] of cases) {
    const out = await nodeInApp([...conditions, '--input-type=module', '-e', script]);
    assert.deepEqual(
      out.trim().split('\n'),
      [entry(want), entry('node.js'), entry('web.js'), entry('workerd.js')],
      `conditions ${conditions.join(' ') || '(Node)'}`,
    );
  }
  assert.equal(manifest.exports['.'].types, './index.d.ts');
  assert.equal(manifest.exports['.'].default, './web.js');
});

test('fastprom/remote-write resolves to its entry in each runtime, beside the main one', async () => {
  const script = `console.log(import.meta.resolve('fastprom/remote-write'));`;
  const entry = (f) => pathToFileURL(path.join(pkgDir, f)).href;
  const cases = [
    [[], 'remote-write-node.js'],
    [['-C', 'deno'], 'remote-write-web.js'],
    [['-C', 'browser'], 'remote-write-web.js'],
    [['-C', 'workerd'], 'remote-write-workerd.js'],
    [['-C', 'worker'], 'remote-write-workerd.js'],
  ];
  for (const [conditions, want] of cases) {
    const out = await nodeInApp([...conditions, '--input-type=module', '-e', script]);
    assert.equal(out.trim(), entry(want), `conditions ${conditions.join(' ') || '(Node)'}`);
  }
  assert.equal(manifest.exports['./remote-write'].types, './remote-write.d.ts');
  // One registry for both: the Node entry's default registry is the main entry's.
  const both = `
    import { Counter } from 'fastprom';
    import { buildRemoteWriteRequests } from 'fastprom/remote-write';
    new Counter({ name: 'shared', help: 'On the default registry.' }).inc();
    const [body] = await buildRemoteWriteRequests(undefined, { metadata: false, created: false });
    console.log(body.series);
  `;
  assert.equal((await nodeInApp(['--input-type=module', '-e', both])).trim(), '1');
});

test("require('fastprom') loads the Node entry synchronously", async () => {
  const script = `
    const prom = require('fastprom');
    const c = new prom.Counter({ name: 'required', help: 'Loaded by require().' });
    c.inc(2);
    prom.register.metrics().then((text) => process.stdout.write(require.resolve('fastprom') + '\\n' + text));
  `;
  const out = await nodeInApp(['-e', script]);
  assert.equal(
    out,
    `${path.join(pkgDir, 'node.js')}\n` +
      '# HELP required_total Loaded by require().\n# TYPE required_total counter\nrequired_total 2.0\n',
  );
});

test('every entry exports the names makeApi returns, and them all as default', () => {
  // node.js has already initialised the glue module these share.
  const names = Object.keys(makeApi(raw)).sort();
  assert.deepEqual(Object.keys(node.default).sort(), names);
  assert.deepEqual(
    Object.keys(node)
      .filter((n) => n !== 'default')
      .sort(),
    names,
  );
  for (const name of names) assert.equal(node[name], node.default[name], name);
  // web.js and workerd.js cannot load in Node: their export lists are read instead.
  for (const file of ['node.js', 'web.js', 'workerd.js']) {
    const text = readFileSync(path.join(pkgDir, file), 'utf8');
    const list = /^export const \{([^}]*)\} = api;$/m.exec(text);
    assert.ok(list, `${file} has an export const { ... } = api line`);
    assert.deepEqual(
      list[1]
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .sort(),
      names,
      file,
    );
    assert.match(text, /^export default api;$/m, file);
  }
  for (const file of ['remote-write-node.js', 'remote-write-web.js', 'remote-write-workerd.js']) {
    const text = readFileSync(path.join(pkgDir, file), 'utf8');
    const list = /^export const \{([^}]*)\} = api;$/m.exec(text);
    assert.ok(list, `${file} has an export const { ... } = api line`);
    const exported = list[1].split(',').map((n) => n.trim()).filter(Boolean).sort();
    assert.deepEqual(exported, ['HEADERS', 'RemoteWrite', 'buildRemoteWriteRequests', 'remoteWrite'], file);
    assert.match(text, /^export default api;$/m, file);
  }
});

test('what browsers, Deno and workerd load uses no Node built-ins', () => {
  const nodeOnly = [
    /\bfrom\s+['"](node:|fs['"]|path['"]|url['"]|util['"]|buffer['"])/,
    /\bimport\s*\(\s*['"]node:/,
    /\brequire\s*\(/,
    /\bprocess\s*\./,
    /\bBuffer\b/,
    /__dirname|__filename/,
  ];
  for (const file of [
    'api.js',
    'web.js',
    'workerd.js',
    'fastprom_wasm.js',
    'remote-write-api.js',
    'remote-write-web.js',
    'remote-write-workerd.js',
    'fastprom_remote_write.js',
  ]) {
    const text = readFileSync(path.join(pkgDir, file), 'utf8');
    for (const pattern of nodeOnly) assert.doesNotMatch(text, pattern, `${file}: ${pattern}`);
  }
  assert.match(readFileSync(path.join(pkgDir, 'node.js'), 'utf8'), /from 'node:fs'/);
});

test("package.json's files are what the build put in pkg/, and its exports exist", () => {
  assert.equal(manifest.type, 'module');
  assert.deepEqual([...manifest.files, 'package.json'].sort(), readdirSync(pkgDir).sort());
  const targets = (v) => (typeof v === 'string' ? [v] : Object.values(v).flatMap(targets));
  for (const t of targets(manifest.exports)) {
    const file = t.replace(/^\.\//, '');
    assert.ok(manifest.files.includes(file) || file === 'package.json', `exports points at ${t}, which files lacks`);
  }
});
