// A Worker that counts its requests with fastprom, serves them on GET /metrics and pushes
// them to a Pushgateway: at once on POST /push, and after other requests in the background
// (ctx.waitUntil), at most once every PUSH_EVERY_MS. Run it with workerd and worker.capnp
// beside this file, or with wrangler: `import ... from 'fastprom'` then picks the
// package's workerd entry by its "workerd" export condition.
import { Registry, Counter, Pushgateway } from 'fastprom';

const PUSH_EVERY_MS = 10_000;
const ROUTES = new Set(['/', '/metrics', '/push']);

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

function gatewayOf(env) {
  gateway ??= new Pushgateway(env.PUSHGATEWAY_URL, { timeout: 5000 }, registry);
  return gateway;
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
    if (env.PUSHGATEWAY_URL) {
      // After the answer, at most once every PUSH_EVERY_MS (the request never waits).
      gatewayOf(env).flush(ctx, { jobName: 'worker', groupings: { isolate } }, { minIntervalMs: PUSH_EVERY_MS });
    }
    return new Response(`counted by isolate ${isolate}\n`);
  },
};
