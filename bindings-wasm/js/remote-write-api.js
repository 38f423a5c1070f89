// fastprom/remote-write: Prometheus remote write from JS over `fetch`, on a .wasm of its
// own (fastprom_remote_write_bg.wasm) that only programs importing this entry load.
//
// A registry's metrics live in the main module's memory, which this module cannot read, so
// a write takes the registry's OpenMetrics exposition (after its `collect` callbacks) and
// hands it to `buildRemoteWrite`, which parses it with the core's parser and builds the
// protobuf + snappy bodies with the core's remote-write builder. This file adds the
// options, the headers and `fetch`. Like api.js it uses nothing a browser, Deno, workerd
// or Node lacks; each entry (remote-write-node.js, -web.js, -workerd.js) initialises the
// .wasm its own way and calls `makeRemoteWrite`.

const OPENMETRICS = 'application/openmetrics-text';

/** An Error with `code` and the given fields (`status`, `body`, `retryable`, `cause`). */
function writeError(message, fields) {
  return Object.assign(new Error(message, fields.cause ? { cause: fields.cause } : undefined), fields);
}

function argumentError(message) {
  const err = new TypeError(message);
  err.code = 'ERR_INVALID_ARGUMENT';
  return err;
}

/** Whether a receiver's answer `status` is worth sending again later. */
function retryableStatus(status) {
  return status >= 500 || status === 429;
}

/** The OpenMetrics exposition of `registry`, after its metrics' `collect` callbacks. */
async function openMetricsOf(registry) {
  if (registry && registry._raw && typeof registry._raw.metricsOpenMetrics === 'function') {
    // A fastprom Registry, whatever content type `metrics()` is set to.
    await registry._collect(registry.getMetricsAsArray());
    return registry._raw.metricsOpenMetrics();
  }
  if (registry && typeof registry.metrics === 'function' && String(registry.contentType).startsWith(OPENMETRICS)) {
    return registry.metrics();
  }
  throw argumentError('remote write takes a fastprom Registry, or a registry whose metrics() returns OpenMetrics');
}

/** The largest request size and timeout taken: what a wasm32 `usize` and `setTimeout` hold. */
const MAX_INT32 = 2 ** 31 - 1;

function checkMaxRequestBytes(n) {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_INT32) {
    throw argumentError(`maxRequestBytes must be a whole number of bytes up to ${MAX_INT32}, not ${n}`);
  }
}

/** Base64 of the UTF-8 bytes of `text` (btoa alone takes Latin-1 only). */
function base64Utf8(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `{ name: value }` as two arrays, every value a string. */
function splitLabels(labels, what) {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    throw argumentError(`${what} must be an object of label names to values`);
  }
  const names = Object.keys(labels);
  return [names, names.map((n) => String(labels[n]))];
}

export function makeRemoteWrite(raw, defaultRegistry) {
  /** The protocol's headers, as the core writes them. */
  const HEADERS = Object.freeze(Object.fromEntries(raw.remoteWriteHeaders()));

  /**
   * The request bodies for what `registry` holds now, for a program with its own HTTP
   * client: `[{ body: Uint8Array, series }]`, each to be POSTed with `HEADERS`. Options:
   * `externalLabels`, `metadata`, `created`, `maxRequestBytes` (as `RemoteWrite`'s).
   */
  async function buildRemoteWriteRequests(registry = defaultRegistry, options = {}) {
    return build(registry, options, Date.now());
  }

  /** The bodies, samples without a timestamp stamped `nowMs`. */
  async function build(registry, options, nowMs) {
    const { externalLabels = {}, metadata = true, created = true, maxRequestBytes = 0 } = options;
    const [names, values] = splitLabels(externalLabels, 'externalLabels');
    checkMaxRequestBytes(maxRequestBytes);
    const text = await openMetricsOf(registry);
    const raws = raw.buildRemoteWrite(text, nowMs, names, values, !!metadata, !!created, maxRequestBytes);
    return raws.map((r) => {
      const out = { body: r.body, series: r.series };
      r.free();
      return out;
    });
  }

  /**
   * Sends a registry to a remote-write receiver (Prometheus' /api/v1/write, Mimir's
   * /api/v1/push, VictoriaMetrics, Thanos Receive, InfluxDB 1.x's /api/v1/prom/write)
   * with `fetch`.
   *
   * Options: `fetch` (the global one by default), `timeout` per request in milliseconds
   * (10000), `headers` (extra ones, such as `X-Scope-OrgID`), `auth` ({ username,
   * password }) or `bearerToken`, `externalLabels` (added to every series that lacks them:
   * give an isolate its `job` and `instance` here), `metadata` (true: type and help per
   * family), `created` (true: `_created` series) and `maxRequestBytes` (1 MiB of protobuf
   * per request).
   */
  class RemoteWrite {
    constructor(url, options = {}, registry = defaultRegistry) {
      if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
        throw argumentError(`the receiver's URL must be http:// or https://, not ${url}`);
      }
      const {
        fetch: f,
        timeout = 10000,
        headers = {},
        auth,
        bearerToken,
        externalLabels = {},
        metadata = true,
        created = true,
        maxRequestBytes = 0,
      } = options;
      if (auth && bearerToken !== undefined) throw argumentError('auth and bearerToken exclude each other');
      if (!(timeout > 0 && timeout <= MAX_INT32)) {
        throw argumentError(`timeout must be a positive number of milliseconds up to ${MAX_INT32}, not ${timeout}`);
      }
      splitLabels(externalLabels, 'externalLabels');
      checkMaxRequestBytes(maxRequestBytes);
      this.url = url;
      this.registry = registry;
      this._fetch = f || ((...args) => globalThis.fetch(...args));
      this._timeout = timeout;
      this._build = { externalLabels, metadata, created, maxRequestBytes };
      // The last write's timestamp, and the end of the writes under way: each write waits
      // for the one before and stamps a later millisecond (a Worker's clock stands still
      // within a request), or a receiver refuses its samples as out of order or duplicate.
      this._lastMs = 0;
      this._chain = Promise.resolve();
      this._headers = { ...HEADERS, 'User-Agent': 'fastprom', ...headers };
      if (auth) this._headers.Authorization = `Basic ${base64Utf8(`${auth.username}:${auth.password}`)}`;
      if (bearerToken !== undefined) this._headers.Authorization = `Bearer ${bearerToken}`;
    }

    /**
     * Collects the registry now and POSTs its requests in turn: resolves with
     * `{ series, requests }` sent. The first failure rejects with an Error whose `code` is
     * ERR_REMOTE_WRITE_STATUS (with `status` and `body`: the receiver refused),
     * ERR_REMOTE_WRITE_TIMEOUT or ERR_REMOTE_WRITE_FAILED (no answer); `retryable` says
     * whether sending again later may help (5xx, 429, no answer), and `sent` how many
     * requests went through before it. Nothing leaves the registry: the next write sends
     * the values again. Writes of one RemoteWrite run one after the other, each stamped a
     * later millisecond than the last.
     */
    write() {
      const run = this._chain.then(() => this._writeNow());
      this._chain = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    }

    async _writeNow() {
      const nowMs = Math.max(Date.now(), this._lastMs + 1);
      this._lastMs = nowMs;
      const bodies = await build(this.registry, this._build, nowMs);
      let series = 0;
      let sent = 0;
      for (const { body, series: n } of bodies) {
        await this._post(body, sent);
        sent += 1;
        series += n;
      }
      return { series, requests: sent };
    }

    /**
     * Writes in the background of a request, for isolates that may be stopped once they
     * answered (Workers, Deno Deploy): hands `write()` to `ctx.waitUntil` and returns at
     * once. At most once per `minIntervalMs` (0: every call); a call within it returns
     * false. A failure goes to `onError` (default `console.error`), never to the request.
     */
    flush(ctx, { minIntervalMs = 0, onError } = {}) {
      if (!ctx || typeof ctx.waitUntil !== 'function') {
        throw argumentError('flush needs the request context (an object with waitUntil)');
      }
      const now = Date.now();
      if (this._lastFlush !== undefined && now - this._lastFlush < minIntervalMs) return false;
      this._lastFlush = now;
      const report = onError || ((err) => console.error(`fastprom: remote write failed: ${err.message}`));
      ctx.waitUntil(this.write().catch((err) => report(err)));
      return true;
    }

    async _post(body, sent) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), this._timeout);
      let resp;
      let text;
      try {
        resp = await this._fetch(this.url, { method: 'POST', headers: this._headers, body, signal: abort.signal });
        text = await resp.text();
      } catch (cause) {
        const timedOut = abort.signal.aborted;
        throw writeError(
          timedOut
            ? `remote write to ${this.url} timed out after ${this._timeout} ms`
            : `remote write to ${this.url} failed: ${cause && cause.message}`,
          { code: timedOut ? 'ERR_REMOTE_WRITE_TIMEOUT' : 'ERR_REMOTE_WRITE_FAILED', retryable: true, sent, cause },
        );
      } finally {
        clearTimeout(timer);
      }
      if (!resp.ok) {
        throw writeError(`remote write to ${this.url}: the receiver answered ${resp.status}: ${text.trim()}`, {
          code: 'ERR_REMOTE_WRITE_STATUS',
          status: resp.status,
          body: text,
          retryable: retryableStatus(resp.status),
          sent,
        });
      }
    }
  }

  /** One write, now: `new RemoteWrite(url, options, registry).write()`. */
  function remoteWrite(url, options = {}, registry = defaultRegistry) {
    return new RemoteWrite(url, options, registry).write();
  }

  return { RemoteWrite, remoteWrite, buildRemoteWriteRequests, HEADERS };
}
