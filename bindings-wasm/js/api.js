// fastprom for JavaScript: prom-client's classes and option objects over the wasm-bindgen
// classes (RawRegistry, RawMetric, RawChild, buildPushRequest). This file only sorts out
// prom-client's overloaded arguments and sends pushes with `fetch`; every name, label and
// value check, the exposition and the Pushgateway URL come from the Rust core.
//
// It is shared by every runtime, so it uses nothing but what browsers, Deno, workerd and
// Node all have (no Node built-ins). Each entry file (node.js, web.js, workerd.js) loads
// the .wasm its own way, then calls `makeApi` with the initialised glue and exports the
// object it returns: a name added to that object goes in each entry's export list too
// (tests/package.test.js checks that they agree).

/**
 * Builds the API over `raw`, the wasm-bindgen glue module (fastprom_wasm.js) once its
 * .wasm is instantiated: the default registry is created here, so `raw` must be ready.
 */
export function makeApi(raw) {
  /** Splits a labels object into parallel name and value arrays (values as strings). */
  function splitLabels(labels) {
    if (labels === undefined || labels === null) return [[], []];
    if (typeof labels !== 'object') {
      throw new TypeError(`labels must be an object, got ${typeof labels}`);
    }
    const names = Object.keys(labels);
    return [names, names.map((k) => String(labels[k]))];
  }

  /** prom-client's `(labels?, value?)` overload: a leading number is the value. */
  function labelsAndValue(a, b, fallback) {
    const [labels, value] = typeof a === 'number' ? [undefined, a] : [a, b === undefined ? fallback : b];
    checkNumber(value);
    return [labels, value];
  }

  /** Values cross into Rust as f64: anything but a number is a caller's mistake. */
  function checkNumber(value) {
    if (typeof value !== 'number') {
      const err = new TypeError(`Value is not a valid number: ${value}`);
      err.code = 'ERR_INVALID_VALUE';
      throw err;
    }
  }

  /** A set of metrics exposed together, as prom-client's `Registry`. */
  class Registry {
    /** The Prometheus text format 0.0.4 content type. */
    static get PROMETHEUS_CONTENT_TYPE() {
      return raw.RawRegistry.contentTypeText();
    }

    /** The OpenMetrics 1.0.0 content type. */
    static get OPENMETRICS_CONTENT_TYPE() {
      return raw.RawRegistry.contentTypeOpenMetrics();
    }

    /** @param {string} [regContentType] which format `metrics()` returns */
    constructor(regContentType = Registry.PROMETHEUS_CONTENT_TYPE) {
      this._raw = new raw.RawRegistry();
      this._metrics = new Map();
      this.setContentType(regContentType);
    }

    /** The content type of `metrics()`'s text. */
    get contentType() {
      return this._contentType;
    }

    /** Chooses the format of `metrics()`: one of the two static content types. */
    setContentType(contentType) {
      if (
        contentType !== Registry.PROMETHEUS_CONTENT_TYPE &&
        contentType !== Registry.OPENMETRICS_CONTENT_TYPE
      ) {
        const err = new Error(`Content type ${contentType} is unsupported`);
        err.code = 'ERR_INVALID_ARGUMENT';
        throw err;
      }
      this._contentType = contentType;
    }

    /** Registers a metric; throws ERR_DUPLICATE_TIMESERIES when its series are taken. */
    registerMetric(metric) {
      this._raw.register(metric._raw);
      this._metrics.set(metric.name, metric);
    }

    /** The exposition of every registered metric, in this registry's content type. */
    async metrics() {
      return this._contentType === Registry.OPENMETRICS_CONTENT_TYPE
        ? this._raw.metricsOpenMetrics()
        : this._raw.metricsText();
    }

    /** The metric registered under `name`, if any. */
    getSingleMetric(name) {
      return this._metrics.get(name);
    }

    /** Unregisters every metric. */
    clear() {
      this._raw.clear();
      this._metrics.clear();
    }

    /** Resets every registered metric (see each metric's `reset`). */
    resetMetrics() {
      for (const m of this._metrics.values()) m.reset();
    }
  }

  /** The default registry, where metrics go unless `registers` says otherwise. */
  const register = new Registry();

  /** What Counter, Gauge and Histogram share: options, registration, children. */
  class Metric {
    constructor(make, config) {
      if (config === null || typeof config !== 'object') {
        throw new TypeError('a metric takes an options object { name, help, ... }');
      }
      const { name, help, labelNames = [], registers = [register] } = config;
      this.name = name;
      this.help = help;
      this.labelNames = [...labelNames];
      this._raw = make(String(name ?? ''), String(help ?? ''), this.labelNames.map(String));
      for (const r of registers) r.registerMetric(this);
    }

    /** The child for label values, in `labelNames` order, or for a labels object. */
    labels(...values) {
      const child =
        values.length === 1 && values[0] !== null && typeof values[0] === 'object'
          ? this._raw.labels(...splitLabels(values[0]))
          : this._raw.labels([], values.map(String));
      return new this.constructor.Child(child);
    }

    /** Removes the series for label values (in `labelNames` order) or a labels object. */
    remove(...values) {
      if (values.length === 1 && values[0] !== null && typeof values[0] === 'object') {
        this._raw.remove(...splitLabels(values[0]));
      } else {
        this._raw.remove([], values.map(String));
      }
    }

    /** Drops every series of a labelled metric; sets an unlabelled one back to zero. */
    reset() {
      this._raw.reset();
    }
  }

  /** A kept child of a labelled metric (`labels(...)`). */
  class Child {
    constructor(rawChild) {
      this._raw = rawChild;
    }
  }

  /** A counter: `inc(labels?, value = 1)`; only goes up. */
  class Counter extends Metric {
    constructor(config) {
      super(raw.RawMetric.counter, config);
    }

    /** Adds `value` (default 1) to the series for `labels`. */
    inc(labels, value) {
      const [l, v] = labelsAndValue(labels, value, 1);
      this._raw.inc(...splitLabels(l), v);
    }
  }
  Counter.Child = class CounterChild extends Child {
    /** Adds `value` (default 1). */
    inc(value = 1) {
      checkNumber(value);
      this._raw.inc(value);
    }
  };

  /** A gauge: `set`, `inc`, `dec`, `setToCurrentTime`. */
  class Gauge extends Metric {
    constructor(config) {
      super(raw.RawMetric.gauge, config);
    }

    /** Adds `value` (default 1). */
    inc(labels, value) {
      const [l, v] = labelsAndValue(labels, value, 1);
      this._raw.inc(...splitLabels(l), v);
    }

    /** Subtracts `value` (default 1). */
    dec(labels, value) {
      const [l, v] = labelsAndValue(labels, value, 1);
      this._raw.dec(...splitLabels(l), v);
    }

    /** Sets the series for `labels` to `value`. */
    set(labels, value) {
      const [l, v] = labelsAndValue(labels, value, undefined);
      this._raw.set(...splitLabels(l), v);
    }

    /** Sets the series for `labels` to the current time, in seconds. */
    setToCurrentTime(labels) {
      this._raw.set(...splitLabels(labels), Date.now() / 1000);
    }
  }
  Gauge.Child = class GaugeChild extends Child {
    inc(value = 1) {
      checkNumber(value);
      this._raw.inc(value);
    }
    dec(value = 1) {
      checkNumber(value);
      this._raw.dec(value);
    }
    set(value) {
      checkNumber(value);
      this._raw.set(value);
    }
    setToCurrentTime() {
      this._raw.set(Date.now() / 1000);
    }
  };

  /** A histogram: `observe(labels?, value)`; `buckets` in the options (prom-client's defaults otherwise). */
  class Histogram extends Metric {
    constructor(config) {
      const buckets = config && config.buckets !== undefined ? Float64Array.from(config.buckets) : undefined;
      super((name, help, labelNames) => raw.RawMetric.histogram(name, help, labelNames, buckets), config);
    }

    /** Records `value` in the series for `labels`. */
    observe(labels, value) {
      const [l, v] = labelsAndValue(labels, value, undefined);
      this._raw.observe(...splitLabels(l), v);
    }
  }
  Histogram.Child = class HistogramChild extends Child {
    observe(value) {
      checkNumber(value);
      this._raw.observe(value);
    }
  };

  /** An Error with a `code` and extra fields. */
  function pushError(message, fields) {
    return Object.assign(new Error(message, fields.cause ? { cause: fields.cause } : undefined), fields);
  }

  /**
   * Pushes a registry to a Pushgateway with `fetch`, as prom-client's `Pushgateway`:
   * `push` (PUT), `pushAdd` (POST), `delete` (DELETE). The grouping key is encoded by the
   * core, with `@base64` for values holding '/', spaces or nothing.
   *
   * Options: `fetch` (defaults to the global one), `timeout` in milliseconds (default
   * 10000), `headers` (added to every request), `auth` ({ username, password } for basic
   * auth), `requireJobName` (default true), and for browsers `mode` and `keepalive`, given
   * to `fetch` as they are.
   *
   * `mode: 'no-cors'` is for a page pushing to a gateway on another origin that sends no
   * CORS headers, as the Pushgateway does not: only `pushAdd` (a POST with a `text/plain`
   * body, which browsers send without a preflight) can go that way; `push` and `delete`
   * reject with ERR_INVALID_ARGUMENT before sending. The browser hides the gateway's
   * answer from the page, so such a push resolves with `{ resp, body: '' }`, `resp` an
   * opaque response (status 0), whether the gateway took the metrics or refused them; the
   * page cannot learn that a push failed, only that the gateway could not be reached
   * (ERR_PUSH_FAILED). Headers other than `Content-Type` (so `auth` too) are dropped by the
   * browser. `keepalive: true` lets a push sent while the page is being closed finish.
   */
  class Pushgateway {
    constructor(url, options = {}, registry = register) {
      const { fetch: f, timeout = 10000, headers = {}, auth, requireJobName = true, mode, keepalive } = options;
      this.gatewayUrl = url;
      this.registry = registry;
      this.requireJobName = requireJobName;
      this._fetch = f || ((...args) => globalThis.fetch(...args));
      this._timeout = timeout;
      this._headers = { ...headers };
      this._fetchOptions = {};
      if (mode !== undefined) this._fetchOptions.mode = mode;
      if (keepalive !== undefined) this._fetchOptions.keepalive = keepalive;
      if (auth) {
        this._headers.Authorization = `Basic ${btoa(`${auth.username}:${auth.password}`)}`;
      }
    }

    /** POST: replaces the pushed metric names in the group. */
    pushAdd(params = {}) {
      return this._send('POST', params);
    }

    /** PUT: replaces every metric of the group. */
    push(params = {}) {
      return this._send('PUT', params);
    }

    /** DELETE: deletes the group. */
    delete(params = {}) {
      return this._send('DELETE', params);
    }

    async _send(method, { jobName, groupings = {} }) {
      if (this.requireJobName && !jobName) {
        throw pushError('Missing jobName parameter', { code: 'ERR_INVALID_ARGUMENT' });
      }
      const noCors = this._fetchOptions.mode === 'no-cors';
      if (noCors && method !== 'POST') {
        throw pushError(
          `mode 'no-cors' allows pushAdd (POST) only: browsers send ${method} to another origin ` +
            'only after a CORS preflight, which the Pushgateway does not answer',
          { code: 'ERR_INVALID_ARGUMENT' },
        );
      }
      const body = method === 'DELETE' ? '' : await this.registry.metrics();
      const rawReq = raw.buildPushRequest(method, this.gatewayUrl, String(jobName ?? ''), ...splitLabels(groupings), body);
      const req = { method: rawReq.method, url: rawReq.url, contentType: rawReq.contentType, body: rawReq.body };
      rawReq.free();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), this._timeout);
      let resp;
      let text;
      try {
        resp = await this._fetch(req.url, {
          method: req.method,
          headers: { 'Content-Type': req.contentType, ...this._headers },
          body: method === 'DELETE' ? undefined : req.body,
          signal: abort.signal,
          ...this._fetchOptions,
        });
        text = await resp.text();
      } catch (cause) {
        const timedOut = abort.signal.aborted;
        throw pushError(
          timedOut
            ? `push to ${req.url} timed out after ${this._timeout} ms`
            : `push to ${req.url} failed: ${cause && cause.message}`,
          { code: timedOut ? 'ERR_PUSH_TIMEOUT' : 'ERR_PUSH_FAILED', cause },
        );
      } finally {
        clearTimeout(timer);
      }
      // An opaque response (no-cors) hides the status: nothing to check.
      if (!resp.ok && !(noCors && resp.type === 'opaque')) {
        throw pushError(`Pushgateway answered ${resp.status} to ${req.method} ${req.url}: ${text}`, {
          code: 'ERR_PUSH_STATUS',
          status: resp.status,
          body: text,
        });
      }
      return { resp, body: text };
    }
  }

  return {
    Registry,
    register,
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    Counter,
    Gauge,
    Histogram,
    Pushgateway,
  };
}
