// A browser: Debian's chromium driven by playwright-core (pinned in package.json here;
// no browser download). examples/wasm/index.html and the package are served from a small
// loopback server; the page loads the package's web entry, renders its exposition and
// pushes, with mode 'no-cors', to a real Pushgateway on another origin (another port),
// which sends no CORS headers. What the page cannot see, the test reads from the gateway.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot, samples, startGateway, waitFor } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
// Only these folders are served, under their paths from the repository's root.
const SERVED = ['examples/wasm/', 'bindings-wasm/pkg/'];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let gateway;
let server;
let origin;
let browser;
let page;
const pageErrors = [];

/** Serves the allowed files read-only; 404 for anything else. */
function serve(req, res) {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
  const file = path.join(repoRoot, rel);
  const allowed = SERVED.some((dir) => rel.startsWith(dir)) && !rel.split('/').includes('..');
  if (req.method !== 'GET' || !allowed || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

test.before(async () => {
  gateway = await startGateway();
  server = http.createServer(serve);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // --no-sandbox: tests run as root. The rest keep Chromium off the network it would
    // reach for on its own (updates, sync, QUIC), which this machine refuses.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err));
  await page.goto(`${origin}/examples/wasm/index.html?gateway=${encodeURIComponent(gateway.url)}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
});

test.after(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((r) => server.close(r));
  if (gateway) await gateway.stop();
});

test('the page renders its exposition, updated on clicks', async () => {
  let text = await page.textContent('#metrics');
  assert.match(text, /^# TYPE page_views_total counter\npage_views_total 1\.0\n/m);
  assert.match(text, /^page_clicks_total 0\.0$/m);
  assert.match(text, /^page_ready_seconds_count 1\.0$/m);
  await page.click('#click');
  await page.click('#click');
  text = await page.textContent('#metrics');
  assert.match(text, /^page_clicks_total 2\.0$/m);
  assert.deepEqual(pageErrors, []);
});

test("the page's no-cors push reaches the gateway, though the page cannot see its answer", async () => {
  await page.click('#push');
  const status = await waitFor(() => page.textContent('#status'), 'the push to finish');
  assert.equal(status, `sent to ${gateway.url} (the browser hides the gateway's answer)`);
  const tab = await page.textContent('#tab');
  const group = await waitFor(() => gateway.group({ job: 'example_browser', tab }), 'the group at the gateway');
  assert.deepEqual(samples(group, 'page_clicks_total').map(([, v]) => v), ['2']);
  assert.deepEqual(samples(group, 'page_views_total').map(([, v]) => v), ['1']);
  assert.equal(group.page_ready_seconds.metrics[0].count, '1');
});

test('in a page: what a push without CORS headers can and cannot do', async () => {
  const results = await page.evaluate(async (gatewayUrl) => {
    const { Registry, Gauge, Pushgateway } = await import('fastprom');
    const registry = new Registry();
    new Gauge({ name: 'in_page', help: 'Set in the page.', registers: [registry] }).set(7);
    const outcome = (p) =>
      p.then(
        ({ resp, body }) => ({ ok: true, type: resp.type, status: resp.status, body }),
        (err) => ({ ok: false, code: err.code, message: err.message }),
      );
    const noCors = new Pushgateway(gatewayUrl, { mode: 'no-cors' }, registry);
    const cors = new Pushgateway(gatewayUrl, {}, registry);
    return {
      put: await outcome(noCors.push({ jobName: 'page_put' })),
      del: await outcome(noCors.delete({ jobName: 'page_put' })),
      refused: await outcome(noCors.pushAdd({ jobName: 'page_refused', groupings: { 'not-a-label': 'x' } })),
      corsMode: await outcome(cors.pushAdd({ jobName: 'page_cors' })),
    };
  }, gateway.url);
  // PUT and DELETE would need a preflight the gateway does not answer: refused up front.
  assert.equal(results.put.code, 'ERR_INVALID_ARGUMENT');
  assert.equal(results.del.code, 'ERR_INVALID_ARGUMENT');
  // The gateway answers 400 to a bad grouping key, but the page sees an opaque answer.
  assert.deepEqual(results.refused, { ok: true, type: 'opaque', status: 0, body: '' });
  // Without no-cors the browser blocks the answer and fetch rejects, yet the POST, a simple
  // request, was sent and the gateway took it.
  assert.equal(results.corsMode.code, 'ERR_PUSH_FAILED');
  const group = await gateway.group({ job: 'page_cors' });
  assert.deepEqual(samples(group, 'in_page').map(([, v]) => v), ['7']);
  assert.equal(await gateway.group({ job: 'page_refused' }), undefined);
});
