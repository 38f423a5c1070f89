// fastprom for JavaScript: prom-client's classes and option objects over the wasm-bindgen
// classes (RawRegistry, RawMetric, RawChild, buildPushRequest, setClock). This file sorts
// out prom-client's overloaded arguments, keeps the children it has handed out in a
// per-metric cache, runs `collect` callbacks, reshapes the core's families into
// prom-client's JSON and sends pushes with `fetch`; every name, label and value check, the
// exposition and the Pushgateway URL come from the Rust core.
//
// It is shared by every runtime, so it uses nothing but what browsers, Deno, workerd and
// Node all have (no Node built-ins). Each entry file (node.js, web.js, workerd.js) loads
// the .wasm its own way, then calls `makeApi` with the initialised glue and exports the
// object it returns: a name added to that object goes in each entry's export list too
// (tests/package.test.js checks that they agree).

/** prom-client's default summary percentiles. */
const DEFAULT_PERCENTILES = [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999];

/** An Error (or `Type`) with a `code`, as every error this package throws has. */
function codedError(message, code, Type = Error) {
  const err = new Type(message);
  err.code = code;
  return err;
}

/** The error for an argument of the wrong shape. */
function argumentError(message) {
  return codedError(message, 'ERR_INVALID_ARGUMENT', TypeError);
}

/** Label values cross as strings: 200 and '200' are the same series, as in prom-client. */
function str(v) {
  return typeof v === 'string' ? v : String(v);
}

/** Splits a labels object into parallel name and value arrays (values as strings). */
function splitLabels(labels) {
  if (labels === undefined || labels === null) return [[], []];
  if (typeof labels !== 'object') {
    throw argumentError(`labels must be an object, got ${typeof labels}`);
  }
  const names = Object.keys(labels);
  return [names, names.map((k) => str(labels[k]))];
}

/** Values cross into Rust as f64: anything but a number is a caller's mistake. */
function checkNumber(value) {
  if (typeof value !== 'number') {
    throw codedError(`Value is not a valid number: ${String(value)}`, 'ERR_INVALID_VALUE', TypeError);
  }
}

/** prom-client's `(labels?, value?)` overload: a leading number is the value. */
function labelsAndValue(a, b, fallback) {
  const [labels, value] = typeof a === 'number' ? [undefined, a] : [a, b === undefined ? fallback : b];
  checkNumber(value);
  return [labels, value];
}

/** `labels(...)`'s and `remove(...)`'s forms: one labels object, or values in label order. */
function isLabelsObject(args) {
  return args.length === 1 && args[0] !== null && typeof args[0] === 'object';
}

/** prom-client's `linearBuckets`: `count` bounds from `start`, `width` apart. */
function linearBuckets(start, width, count) {
  if (!(count >= 1)) throw codedError('Linear buckets needs a positive count', 'ERR_INVALID_ARGUMENT');
  const buckets = new Array(count);
  for (let i = 0; i < count; i++) buckets[i] = start + i * width;
  return buckets;
}

/** prom-client's `exponentialBuckets`: `count` bounds from `start`, each `factor` times the last. */
function exponentialBuckets(start, factor, count) {
  if (!(start > 0)) throw codedError('Exponential buckets needs a positive start', 'ERR_INVALID_ARGUMENT');
  if (!(count >= 1)) throw codedError('Exponential buckets needs a positive count', 'ERR_INVALID_ARGUMENT');
  if (!(factor > 1)) {
    throw codedError('Exponential buckets needs a factor greater than 1', 'ERR_INVALID_ARGUMENT');
  }
  const buckets = new Array(count);
  for (let i = 0; i < count; i++) {
    buckets[i] = start;
    start *= factor;
  }
  return buckets;
}

/**
 * One family of the core's data model (`RawRegistry.families()`) in prom-client's
 * `get()` / `getMetricsAsJSON()` shape: `{ help, name, type, values, aggregator }`, each
 * value `{ value, labels, metricName? }`. `metric` is the JS metric it came from, whose
 * `name` (as the caller gave it) and `aggregator` are used. A histogram's `le` and a
 * summary's `quantile` come first among the labels, as numbers (`'+Inf'` stays a string),
 * and `_sum` comes before `_count`, as in prom-client; a histogram's values have an
 * `exemplar` key (null on buckets), as prom-client's do.
 */
function familyToJson(family, metric) {
  const name = metric ? metric.name : family.name;
  const type = family.metric_type;
  const bound = type === 'histogram' ? 'le' : type === 'summary' ? 'quantile' : null;
  const values = [];
  for (const sample of family.samples) {
    const labels = {};
    if (bound !== null) {
      for (const [k, v] of sample.labels) if (k === bound) labels[k] = v === '+Inf' ? v : Number(v);
    }
    for (const [k, v] of sample.labels) if (k !== bound) labels[k] = v;
    // NaN and the infinities come from the core as strings (JSON has no numbers for them).
    const value = { value: typeof sample.value === 'string' ? Number(sample.value) : sample.value, labels };
    if (sample.name !== name) value.metricName = sample.name;
    // prom-client's histogram values all have the key: null on buckets, undefined on the rest.
    if (type === 'histogram') value.exemplar = sample.name.endsWith('_bucket') ? null : undefined;
    // The core writes a child's _count before its _sum; prom-client lists _sum first.
    const last = values[values.length - 1];
    if (bound !== null && sample.name.endsWith('_sum') && last && last.metricName === `${family.name}_count`) {
      values.splice(values.length - 1, 0, value);
    } else {
      values.push(value);
    }
  }
  return { help: family.help, name, type, values, aggregator: metric ? metric.aggregator : 'sum' };
}

/**
 * Builds the API over `raw`, the wasm-bindgen glue module (fastprom_wasm.js) once its
 * .wasm is instantiated: the default registry is created here, so `raw` must be ready.
 */
export function makeApi(raw) {
  /** The clock `setClock` set, or null for the host's own. */
  let clock = null;
  const perf = globalThis.performance;

  /** Milliseconds since the epoch: the set clock's, or `Date.now()` (also when it fails). */
  function nowMs() {
    if (clock !== null) {
      try {
        const t = clock();
        if (typeof t === 'number' && Number.isFinite(t)) return t;
      } catch {
        // A failing clock counts as Date.now(), as the core's reading of it does.
      }
    }
    return Date.now();
  }

  /** Milliseconds for timers: the set clock, else `performance.now()` (monotonic). */
  function timerMs() {
    return clock === null && perf && typeof perf.now === 'function' ? perf.now() : nowMs();
  }

  /**
   * Reads the time from `fn()` (milliseconds since the epoch, as `Date.now()`) from now on:
   * for `setToCurrentTime`, summary windows and `startTimer` durations. `null` or
   * `undefined` goes back to the host's clock (`Date.now()`, and `performance.now()` for
   * timers). The clock is one for the whole package (every registry and metric).
   */
  function setClock(fn) {
    if (fn !== null && fn !== undefined && typeof fn !== 'function') {
      throw argumentError(`setClock takes a function returning milliseconds, or null; got ${typeof fn}`);
    }
    raw.setClock(fn ?? undefined);
    clock = fn ?? null;
  }

  /**
   * prom-client's timer: the function returned observes (through `record(labels, value)`)
   * the seconds elapsed since the call, with `startLabels` and the labels it is given
   * merged, and returns them.
   */
  function timer(startLabels, record) {
    const start = timerMs();
    return (endLabels) => {
      const seconds = (timerMs() - start) / 1000;
      const labels =
        startLabels === undefined && endLabels === undefined ? undefined : { ...startLabels, ...endLabels };
      record(labels, seconds);
      return seconds;
    };
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

    /**
     * A registry holding the metrics of every given registry (which must share one
     * content type); it exposes the same metrics, not copies.
     */
    static merge(registers) {
      const contentType = registers[0].contentType;
      if (registers.some((r) => r.contentType !== contentType)) {
        throw codedError('Registers can only be merged if they have the same content type', 'ERR_INVALID_ARGUMENT');
      }
      const merged = new Registry(contentType);
      for (const r of registers) for (const m of r.getMetricsAsArray()) merged.registerMetric(m);
      return merged;
    }

    /** @param {string} [regContentType] which format `metrics()` returns */
    constructor(regContentType = Registry.PROMETHEUS_CONTENT_TYPE) {
      this._raw = new raw.RawRegistry();
      /** Metric name → { metric, id }, in registration order (the core's order too). */
      this._metrics = new Map();
      this._defaultLabels = {};
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
        throw codedError(`Content type ${contentType} is unsupported`, 'ERR_INVALID_ARGUMENT');
      }
      this._contentType = contentType;
    }

    /**
     * Registers a metric; throws ERR_DUPLICATE_TIMESERIES when its series are taken.
     * Registering the same metric again does nothing, as in prom-client.
     */
    registerMetric(metric) {
      if (!(metric instanceof Metric)) {
        throw argumentError('registerMetric takes a Counter, Gauge, Histogram, Summary, Info or Enum');
      }
      const known = this._metrics.get(metric.name);
      if (known && known.metric === metric) return;
      const id = this._raw.register(metric._raw);
      this._metrics.set(metric.name, { metric, id });
    }

    /** Runs every metric's `collect` (awaiting the async ones), as prom-client's `get()`s do. */
    async _collect(metrics) {
      await Promise.all(metrics.map((m) => m._collect()));
    }

    /** The exposition of every registered metric, in this registry's content type, after their `collect`s. */
    async metrics() {
      await this._collect(this.getMetricsAsArray());
      return this._contentType === Registry.OPENMETRICS_CONTENT_TYPE
        ? this._raw.metricsOpenMetrics()
        : this._raw.metricsText();
    }

    /**
     * Every metric as prom-client's JSON, default labels included, after their
     * `collect`s: `[{ help, name, type, values: [{ value, labels, metricName? }], aggregator }]`.
     */
    async getMetricsAsJSON() {
      const metrics = this.getMetricsAsArray();
      await this._collect(metrics);
      const families = this._raw.families();
      // The core lists its families in registration order, as _metrics does.
      return families.map((f, i) => familyToJson(f, metrics[i]));
    }

    /** The registered metrics, in registration order. */
    getMetricsAsArray() {
      return Array.from(this._metrics.values(), (e) => e.metric);
    }

    /** The exposition of one metric (no trailing newline, as prom-client's), after its `collect`. */
    async getSingleMetricAsString(name) {
      const entry = this._metrics.get(name);
      if (!entry) throw codedError(`No metric named ${name} in this registry`, 'ERR_INVALID_ARGUMENT');
      await entry.metric._collect();
      const one = new raw.RawRegistry();
      try {
        one.setDefaultLabels(...splitLabels(this._defaultLabels));
        one.register(entry.metric._raw);
        const text =
          this._contentType === Registry.OPENMETRICS_CONTENT_TYPE ? one.metricsOpenMetrics() : one.metricsText();
        return text.replace(/(# EOF\n)?$/, '').replace(/\n$/, '');
      } finally {
        one.free();
      }
    }

    /** The metric registered under `name`, if any. */
    getSingleMetric(name) {
      const entry = this._metrics.get(name);
      return entry && entry.metric;
    }

    /** Unregisters the metric registered under `name`, if any. */
    removeSingleMetric(name) {
      const entry = this._metrics.get(name);
      if (!entry) return;
      this._raw.unregister(entry.id);
      this._metrics.delete(name);
    }

    /**
     * Labels added to every series of this registry from now on, replacing those set
     * before (`{}` for none); a series' own label of the same name wins.
     */
    setDefaultLabels(labels) {
      const [names, values] = splitLabels(labels);
      this._raw.setDefaultLabels(names, values);
      this._defaultLabels = Object.fromEntries(names.map((n, i) => [n, values[i]]));
    }

    /** Unregisters every metric and drops the default labels. */
    clear() {
      this._raw.clear();
      this._metrics.clear();
      this.setDefaultLabels({});
    }

    /** Resets every registered metric (see each metric's `reset`). */
    resetMetrics() {
      for (const m of this.getMetricsAsArray()) m.reset();
    }
  }

  /** The default registry, where metrics go unless `registers` says otherwise. */
  const register = new Registry();

  /**
   * What every metric shares: options, registration, `collect`, and the children handed
   * out, cached by their label values so a labelled update skips the core's lookup.
   *
   * The cache is a tree of Maps, one level per label (values as strings, and numbers as
   * themselves once looked up so), whose leaves are the children. `remove` and `reset`
   * empty it and bump `_gen`; a child handed out before then notices and looks its series
   * up again (creating it anew, as prom-client's children do).
   */
  class Metric {
    constructor(config, type, make) {
      if (config === null || typeof config !== 'object') {
        throw argumentError('a metric takes an options object { name, help, ... }');
      }
      const { name, help, labelNames = [], collect, aggregator = 'sum' } = config;
      if (help === undefined || help === null || help === '') {
        throw codedError('Missing mandatory help parameter', 'ERR_INVALID_ARGUMENT');
      }
      if (collect !== undefined && collect !== null && typeof collect !== 'function') {
        throw argumentError('Optional "collect" parameter must be a function');
      }
      this.name = name;
      this.help = help;
      this.labelNames = [...labelNames];
      this.type = type;
      this.aggregator = aggregator;
      if (collect) this.collect = collect;
      this._raw = make(String(name ?? ''), String(help), this.labelNames.map(String));
      this._gen = 0;
      this._children = new Map();
      this._single = undefined;
      const registers = config.registers ?? [register];
      const done = [];
      try {
        for (const r of registers) {
          r.registerMetric(this);
          done.push(r);
        }
      } catch (err) {
        for (const r of done) r.removeSingleMetric(this.name);
        throw err;
      }
    }

    /** Runs `collect` with `this` = the metric; a Promise when it returned one. */
    _collect() {
      if (typeof this.collect !== 'function') return undefined;
      return this.collect();
    }

    /**
     * The cached child for a labels object (or for no labels), or undefined when there is
     * none yet or the object is not exactly the label names.
     */
    _hit(labels) {
      const names = this.labelNames;
      const n = names.length;
      if (n === 0) {
        if (labels !== undefined && labels !== null) {
          for (const _ in labels) return undefined;
        }
        return this._single;
      }
      if (labels === undefined || labels === null || typeof labels !== 'object') return undefined;
      let node = this._children;
      for (let i = 0; i < n; i++) {
        const v = labels[names[i]];
        if (v === undefined) return undefined;
        let next = node.get(v);
        if (next === undefined && typeof v !== 'string') {
          // Stored under the value's string; a number gets its own entry for next time,
          // so a status code passed as 200 skips String(200).
          next = node.get(String(v));
          if (next !== undefined && typeof v === 'number') node.set(v, next);
        }
        if (next === undefined) return undefined;
        node = next;
      }
      let keys = 0;
      for (const _ in labels) keys++;
      return keys === n ? node : undefined;
    }

    /** The values of a labels object in label order, or null unless it names exactly the labels. */
    _ordered(labels) {
      const names = this.labelNames;
      if (labels === undefined || labels === null) return names.length === 0 ? [] : null;
      if (typeof labels !== 'object') return null;
      const values = [];
      for (const n of names) {
        const v = labels[n];
        if (v === undefined) return null;
        values.push(str(v));
      }
      return Object.keys(labels).length === names.length ? values : null;
    }

    /**
     * An update of a series not in the cache: `op(names, values)` runs it through the
     * core (which creates the series, or reports bad labels and undoes a refused update),
     * then the child is cached for the next one.
     */
    _miss(labels, op) {
      const values = this._ordered(labels);
      if (values === null) {
        // Not exactly the label names: the core says what is wrong.
        op(...splitLabels(labels));
        return;
      }
      op([], values);
      this._child(values);
    }

    /** The child for label values in label order, from the cache or made and cached. */
    _child(values) {
      const n = values.length;
      // A wrong count: the core throws ERR_LABEL_COUNT (or ERR_MISSING_LABEL_VALUES).
      if (n !== this.labelNames.length) return new this.constructor.Child(this, values);
      if (n === 0) {
        if (this._single === undefined) this._single = new this.constructor.Child(this, values);
        return this._single;
      }
      let node = this._children;
      for (let i = 0; i < n - 1; i++) {
        let next = node.get(values[i]);
        if (next === undefined) {
          next = new Map();
          node.set(values[i], next);
        }
        node = next;
      }
      let child = node.get(values[n - 1]);
      if (child === undefined) {
        child = new this.constructor.Child(this, values);
        node.set(values[n - 1], child);
      }
      return child;
    }

    /** Forgets every cached child (after `remove` or `reset`). */
    _forget() {
      this._gen++;
      this._children = new Map();
      this._single = undefined;
    }

    /**
     * The child for label values, in `labelNames` order, or for a labels object; kept,
     * it skips the lookup. The series is created (at zero) if it did not exist.
     */
    labels(...values) {
      if (isLabelsObject(values)) {
        const hit = this._hit(values[0]);
        if (hit !== undefined) return hit;
        const ordered = this._ordered(values[0]);
        if (ordered === null) {
          // Not exactly the label names: the core says what is wrong.
          this._raw.labels(...splitLabels(values[0]));
          throw codedError('labels do not match the label names', 'ERR_LABEL_NAMES');
        }
        return this._child(ordered);
      }
      return this._child(values.map(str));
    }

    /** Removes the series for label values (in `labelNames` order) or a labels object. */
    remove(...values) {
      if (isLabelsObject(values)) {
        this._raw.remove(...splitLabels(values[0]));
      } else {
        this._raw.remove([], values.map(str));
      }
      this._forget();
    }

    /** Drops every series of a labelled metric; sets an unlabelled one back to zero. */
    reset() {
      this._raw.reset();
      this._forget();
    }

    /**
     * This metric as prom-client's `get()` gives it, after its `collect`:
     * `{ help, name, type, values, aggregator }` (no registry's default labels).
     */
    async get() {
      await this._collect();
      const one = new raw.RawRegistry();
      try {
        one.register(this._raw);
        return familyToJson(one.families()[0], this);
      } finally {
        one.free();
      }
    }
  }

  /**
   * A child of a labelled metric (`labels(...)`): its label values and the core's child.
   * After the metric's `remove` or `reset` it looks its series up again on next use.
   */
  class Child {
    constructor(metric, values) {
      this._metric = metric;
      this._values = values;
      this._gen = metric._gen;
      this._raw = metric._raw.labels([], values);
    }

    /** The core's child, or null when the metric was reset or had series removed since. */
    _live() {
      return this._gen === this._metric._gen ? this._raw : null;
    }

    /**
     * Runs an update through the metric when this child is stale: `op(names, values)` as
     * in `_miss`, then this child takes the fresh core child.
     */
    _renew(op) {
      const m = this._metric;
      op([], this._values);
      const fresh = m._child(this._values);
      this._raw = fresh._raw;
      this._gen = fresh._gen;
    }

    /** This child's labels as an object, with `extra` over them (a timer's end labels). */
    _with(extra) {
      const labels = {};
      this._metric.labelNames.forEach((n, i) => (labels[n] = this._values[i]));
      return { ...labels, ...extra };
    }
  }

  // Updates go through a cached child's `*Ok` method (true when done: one number back
  // from wasm, much cheaper than a Result); on false the plain method runs to throw the
  // core's error (a refused update changes nothing, so running it again is harmless).

  /** A counter: `inc(labels?, value = 1)`; only goes up. */
  class Counter extends Metric {
    constructor(config) {
      super(config, 'counter', raw.RawMetric.counter);
    }

    /** Adds `value` (default 1) to the series for `labels`; throws ERR_NEGATIVE_INCREMENT below zero. */
    inc(labels, value) {
      let v = value;
      let l = labels;
      if (typeof l === 'number') {
        v = l;
        l = undefined;
      } else if (v === undefined) {
        v = 1;
      }
      if (typeof v !== 'number') checkNumber(v);
      const hit = this._hit(l);
      if (hit !== undefined) {
        if (!hit._raw.incOk(v)) hit._raw.inc(v);
      } else {
        this._miss(l, (names, values) => this._raw.inc(names, values, v));
      }
    }
  }
  Counter.Child = class CounterChild extends Child {
    /** Adds `value` (default 1). */
    inc(value = 1) {
      checkNumber(value);
      const r = this._live();
      if (r !== null) {
        if (!r.incOk(value)) r.inc(value);
      } else {
        this._renew((names, values) => this._metric._raw.inc(names, values, value));
      }
    }
  };

  /** A gauge: `set`, `inc`, `dec`, `setToCurrentTime`, `startTimer`. */
  class Gauge extends Metric {
    constructor(config) {
      super(config, 'gauge', raw.RawMetric.gauge);
    }

    /** Adds `value` (default 1). */
    inc(labels, value) {
      const [l, v] = labelsAndValue(labels, value, 1);
      const hit = this._hit(l);
      if (hit !== undefined) {
        if (!hit._raw.incOk(v)) hit._raw.inc(v);
      } else {
        this._miss(l, (names, values) => this._raw.inc(names, values, v));
      }
    }

    /** Subtracts `value` (default 1). */
    dec(labels, value) {
      const [l, v] = labelsAndValue(labels, value, 1);
      const hit = this._hit(l);
      if (hit !== undefined) {
        if (!hit._raw.decOk(v)) hit._raw.dec(v);
      } else {
        this._miss(l, (names, values) => this._raw.dec(names, values, v));
      }
    }

    /** Sets the series for `labels` to `value`. */
    set(labels, value) {
      const [l, v] = labelsAndValue(labels, value, undefined);
      const hit = this._hit(l);
      if (hit !== undefined) {
        if (!hit._raw.setOk(v)) hit._raw.set(v);
      } else {
        this._miss(l, (names, values) => this._raw.set(names, values, v));
      }
    }

    /** Sets the series for `labels` to the current time, in seconds (see `setClock`). */
    setToCurrentTime(labels) {
      this.set(labels, nowMs() / 1000);
    }

    /**
     * Starts a timer: the function returned sets the series (for `labels` merged with the
     * labels it is given) to the seconds elapsed, and returns them.
     */
    startTimer(labels) {
      return timer(labels, (l, seconds) => this.set(l, seconds));
    }
  }
  Gauge.Child = class GaugeChild extends Child {
    inc(value = 1) {
      checkNumber(value);
      const r = this._live();
      if (r !== null) {
        if (!r.incOk(value)) r.inc(value);
      } else {
        this._renew((names, values) => this._metric._raw.inc(names, values, value));
      }
    }
    dec(value = 1) {
      checkNumber(value);
      const r = this._live();
      if (r !== null) {
        if (!r.decOk(value)) r.dec(value);
      } else {
        this._renew((names, values) => this._metric._raw.dec(names, values, value));
      }
    }
    set(value) {
      checkNumber(value);
      const r = this._live();
      if (r !== null) {
        if (!r.setOk(value)) r.set(value);
      } else {
        this._renew((names, values) => this._metric._raw.set(names, values, value));
      }
    }
    setToCurrentTime() {
      this.set(nowMs() / 1000);
    }
    /** As the metric's `startTimer`, for this child's series (end labels may override its labels). */
    startTimer() {
      return timer(undefined, (l, seconds) =>
        l === undefined ? this.set(seconds) : this._metric.set(this._with(l), seconds),
      );
    }
  };

  /** What Histogram and Summary share: `observe`, `startTimer`. */
  class Observed extends Metric {
    /** Records `value` in the series for `labels`. */
    observe(labels, value) {
      const [l, v] = labelsAndValue(labels, value, undefined);
      const hit = this._hit(l);
      if (hit !== undefined) {
        if (!hit._raw.observeOk(v)) hit._raw.observe(v);
      } else {
        this._miss(l, (names, values) => this._raw.observe(names, values, v));
      }
    }

    /**
     * Starts a timer: the function returned observes the seconds elapsed (for `labels`
     * merged with the labels it is given), and returns them.
     */
    startTimer(labels) {
      return timer(labels, (l, seconds) => this.observe(l, seconds));
    }
  }
  class ObservedChild extends Child {
    observe(value) {
      checkNumber(value);
      const r = this._live();
      if (r !== null) {
        if (!r.observeOk(value)) r.observe(value);
      } else {
        this._renew((names, values) => this._metric._raw.observe(names, values, value));
      }
    }
    /** As the metric's `startTimer`, for this child's series (end labels may override its labels). */
    startTimer() {
      return timer(undefined, (l, seconds) =>
        l === undefined ? this.observe(seconds) : this._metric.observe(this._with(l), seconds),
      );
    }
  }

  /**
   * A histogram: `observe(labels?, value)`, `startTimer`, `zero`; `buckets` in the options
   * (prom-client's defaults otherwise).
   */
  class Histogram extends Observed {
    constructor(config) {
      const given = config ? config.buckets : undefined;
      if (given !== undefined && !Array.isArray(given)) throw argumentError('buckets must be an array of numbers');
      const buckets = given === undefined ? undefined : Float64Array.from(given);
      super(config, 'histogram', (name, help, labelNames) =>
        raw.RawMetric.histogram(name, help, labelNames, buckets),
      );
      if (buckets) this.buckets = Array.from(buckets);
    }

    /** Creates the series for `labels` at zero, as prom-client's `zero`. */
    zero(labels) {
      this.labels(labels ?? {});
    }
  }
  Histogram.Child = class HistogramChild extends ObservedChild {};

  /**
   * A summary: `observe(labels?, value)`, `startTimer`; a count, a sum and the
   * `percentiles` (prom-client's by default). With `maxAgeSeconds` and `ageBuckets` the
   * percentiles cover that sliding window, otherwise every observation.
   */
  class Summary extends Observed {
    constructor(config) {
      const c = config ?? {};
      const percentiles = c.percentiles ?? DEFAULT_PERCENTILES;
      if (!Array.isArray(percentiles)) throw argumentError('percentiles must be an array of numbers');
      for (const key of ['maxAgeSeconds', 'ageBuckets']) {
        if (c[key] !== undefined && typeof c[key] !== 'number') throw argumentError(`${key} must be a number`);
      }
      // prom-client rotates only when both are given (and not 0).
      const windowed = Boolean(c.maxAgeSeconds && c.ageBuckets);
      super(config, 'summary', (name, help, labelNames) =>
        raw.RawMetric.summary(
          name,
          help,
          labelNames,
          Float64Array.from(percentiles),
          windowed ? c.maxAgeSeconds : undefined,
          windowed ? c.ageBuckets : undefined,
        ),
      );
      this.percentiles = [...percentiles];
      if (windowed) {
        this.maxAgeSeconds = c.maxAgeSeconds;
        this.ageBuckets = c.ageBuckets;
      }
    }
  }
  Summary.Child = class SummaryChild extends ObservedChild {};

  /**
   * An info (not in prom-client): key/value metadata exposed as the labels of a constant
   * `<name>_info` sample. `set(labels?, { key: value })`.
   */
  class Info extends Metric {
    constructor(config) {
      super(config, 'info', raw.RawMetric.info);
    }

    /** Sets the pairs of the series for `labels` (or of the unlabelled one: `set({ ... })`). */
    set(labels, info) {
      const [l, i] = info === undefined ? [undefined, labels] : [labels, info];
      const [keys, vals] = infoPairs(i);
      const hit = this._hit(l);
      if (hit !== undefined) hit._raw.setInfo(keys, vals);
      else this._miss(l, (names, values) => this._raw.setInfo(names, values, keys, vals));
    }
  }
  Info.Child = class InfoChild extends Child {
    /** Sets the pairs. */
    set(info) {
      const [keys, vals] = infoPairs(info);
      const r = this._live();
      if (r !== null) r.setInfo(keys, vals);
      else this._renew((names, values) => this._metric._raw.setInfo(names, values, keys, vals));
    }
  };

  /** An info's `{ key: value }` as parallel arrays. */
  function infoPairs(info) {
    if (info === null || typeof info !== 'object') throw argumentError('an info takes an object { key: value, ... }');
    return splitLabels(info);
  }

  /**
   * An enum (not in prom-client; OpenMetrics' stateset): which one of `states` each series
   * is in (the first at first). `state(labels?, name)`.
   */
  class Enum extends Metric {
    constructor(config) {
      const given = config ? config.states : undefined;
      if (given !== undefined && !Array.isArray(given)) throw argumentError('states must be an array of names');
      const states = given === undefined ? [] : given.map(String);
      super(config, 'stateset', (name, help, labelNames) =>
        raw.RawMetric.enumeration(name, help, labelNames, states),
      );
      this.states = states;
    }

    /** Puts the series for `labels` (or the unlabelled one: `state(name)`) in state `name`. */
    state(labels, state) {
      const [l, s] = labels !== null && typeof labels === 'object' ? [labels, state] : [undefined, labels];
      const name = str(s);
      const hit = this._hit(l);
      if (hit !== undefined) hit._raw.state(name);
      else this._miss(l, (names, values) => this._raw.state(names, values, name));
    }
  }
  Enum.Child = class EnumChild extends Child {
    /** Puts the series in state `name`. */
    state(state) {
      const name = str(state);
      const r = this._live();
      if (r !== null) r.state(name);
      else this._renew((names, values) => this._metric._raw.state(names, values, name));
    }
  };

  /** prom-client's `validateMetricName`: whether `name` is a valid metric name (the core's rule). */
  function validateMetricName(name) {
    try {
      raw.RawMetric.gauge(String(name), 'h', []).free();
      return true;
    } catch {
      return false;
    }
  }

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

    /**
     * Pushes in the background of a request, for edge functions whose isolate may be
     * stopped at any time after it answered (Cloudflare Workers, Deno Deploy): hands the
     * push (`pushAdd` by default, `method: 'push'` for PUT) to `ctx.waitUntil`, so the
     * runtime keeps the isolate alive until it is done, and returns at once. Pushes at
     * most once per `minIntervalMs` (default 0: every call); a call within the interval
     * does nothing and returns false. A failed push is passed to `onError` (default:
     * `console.error`) instead of rejecting, so it never fails the request; the registry
     * keeps its values for the next push.
     */
    flush(ctx, params = {}, { method = 'pushAdd', minIntervalMs = 0, onError } = {}) {
      if (!ctx || typeof ctx.waitUntil !== 'function') {
        throw pushError('flush needs the request context (an object with waitUntil)', { code: 'ERR_INVALID_ARGUMENT' });
      }
      if (method !== 'pushAdd' && method !== 'push') {
        throw pushError(`flush pushes with 'pushAdd' or 'push', not ${method}`, { code: 'ERR_INVALID_ARGUMENT' });
      }
      const now = Date.now();
      if (this._lastFlush !== undefined && now - this._lastFlush < minIntervalMs) return false;
      this._lastFlush = now;
      const report = onError || ((err) => console.error(`fastprom: push failed: ${err.message}`));
      ctx.waitUntil(this[method](params).catch((err) => report(err)));
      return true;
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
    prometheusContentType: Registry.PROMETHEUS_CONTENT_TYPE,
    openMetricsContentType: Registry.OPENMETRICS_CONTENT_TYPE,
    validateMetricName,
    Counter,
    Gauge,
    Histogram,
    Summary,
    Info,
    Enum,
    Pushgateway,
    linearBuckets,
    exponentialBuckets,
    setClock,
  };
}
