// A Worker that counts its requests with fastprom, serves them on GET /metrics and pushes
// them to a Pushgateway: at once on POST /push, and after other requests in the background
// (ctx.waitUntil), at most once every PUSH_EVERY_MS. With REMOTE_WRITE_URL set it also
// writes them straight to a remote-write receiver (Prometheus, Mimir, VictoriaMetrics):
// at once on POST /remote-write, and in the background as the pushes. Run it with workerd
// and worker.capnp beside this file, or with wrangler. 'fastprom/workerd' is the package's
// workerd entry (with wrangler, plain 'fastprom' picks the same by its "workerd" export
// condition), and 'fastprom/remote-write' loads remote write's own .wasm: Workers that do
// not import it never download it.
import { Registry, Counter, Pushgateway } from 'fastprom/workerd';
import { RemoteWrite } from 'fastprom/remote-write';

const PUSH_EVERY_MS = 10_000;
const ROUTES = new Set(['/', '/metrics', '/push', '/remote-write']);

const registry = new Registry();
const requests = new Counter({
  name: 'worker_requests',
  help: 'Requests served by this isolate.',
  labelNames: ['route', 'method'],
  registers: [registry],
});

// Every isolate holds its own counts, so each pushes to its own group (`isolate` in the
// grouping key) and no isolate replaces another's values at the gateway. The id is drawn
// on the first request: Workers allow no random values while the script starts.
let isolate;
let gateway;
let writer;

function gatewayOf(env) {
  gateway ??= new Pushgateway(env.PUSHGATEWAY_URL, { timeout: 5000 }, registry);
  return gateway;
}

// The isolate's identity goes in as external labels: remote write has no scrape to add
// `job` and `instance`.
function writerOf(env) {
  writer ??= new RemoteWrite(env.REMOTE_WRITE_URL, { timeout: 5000, externalLabels: { job: 'worker', instance: isolate } }, registry);
  return writer;
}

export default {
  async fetch(request, env, ctx) {
    isolate ??= crypto.randomUUID();
    const { pathname } = new URL(request.url);
    requests.inc({ route: ROUTES.has(pathname) ? pathname : 'other', method: request.method });

    if (pathname === '/metrics') {
      return new Response(await registry.metrics(), { headers: { 'Content-Type': registry.contentType } });
    }
    if (pathname === '/push' && request.method === 'POST') {
      if (!env.PUSHGATEWAY_URL) return Response.json({ isolate, error: 'PUSHGATEWAY_URL is not set' }, { status: 503 });
      try {
        const { resp } = await gatewayOf(env).pushAdd({ jobName: 'worker', groupings: { isolate } });
        return Response.json({ isolate, status: resp.status });
      } catch (err) {
        return Response.json({ isolate, error: err.code, message: err.message }, { status: 502 });
      }
    }
    if (pathname === '/remote-write' && request.method === 'POST') {
      if (!env.REMOTE_WRITE_URL) return Response.json({ isolate, error: 'REMOTE_WRITE_URL is not set' }, { status: 503 });
      try {
        const { series, requests } = await writerOf(env).write();
        return Response.json({ isolate, series, requests });
      } catch (err) {
        return Response.json({ isolate, error: err.code, message: err.message }, { status: 502 });
      }
    }
    if (env.REMOTE_WRITE_URL) writerOf(env).flush(ctx, { minIntervalMs: PUSH_EVERY_MS });
    if (env.PUSHGATEWAY_URL) {
      // After the answer, at most once every PUSH_EVERY_MS (the request never waits).
      gatewayOf(env).flush(ctx, { jobName: 'worker', groupings: { isolate } }, { minIntervalMs: PUSH_EVERY_MS });
    }
    return new Response(`counted by isolate ${isolate}\n`);
  },
};
