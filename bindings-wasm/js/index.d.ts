// Types of fastprom's JS package (js/api.js), the same for every entry (node.js, web.js,
// workerd.js): prom-client 15's names and options where fastprom has the feature. Errors
// thrown are real `Error`s with a `code` (FastpromError).

/** Label values by label name. */
export type LabelValues<T extends string = string> = Partial<Record<T, string | number>>;

/** An Error from fastprom: `code` names the cause (ERR_INVALID_NAME, ERR_LABEL_COUNT, ...). */
export interface FastpromError extends Error {
  code: string;
}

/** An Error from a failed push: `status` and `body` are the gateway's answer, when it answered. */
export interface PushError extends FastpromError {
  status?: number;
  body?: string;
}

export type PrometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';
export type OpenMetricsContentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export type RegistryContentType = PrometheusContentType | OpenMetricsContentType;

/** A metric's type as `get()` and `getMetricsAsJSON()` report it (prom-client's four, and Info's and Enum's). */
export type MetricTypeName = 'counter' | 'gauge' | 'histogram' | 'summary' | 'info' | 'stateset';

/** One sample in prom-client's JSON shape. */
export interface MetricValue {
  value: number;
  /**
   * Label values (strings; a histogram's `le` and a summary's `quantile` as numbers,
   * `le` `'+Inf'` excepted), the registry's default labels included.
   */
  labels: Record<string, string | number>;
  /** The sample's own name, where it differs from the metric's (`x_bucket`, `x_sum`, `x_count`, a counter's `x_total`, an info's `x_info`). */
  metricName?: string;
  /** On histogram buckets only, always null (no exemplars). */
  exemplar?: null;
}

/** A metric in prom-client's JSON shape (`get()`, `getMetricsAsJSON()`). */
export interface MetricObjectWithValues {
  help: string;
  /** The name as the metric was created with. */
  name: string;
  type: MetricTypeName;
  values: MetricValue[];
  aggregator: Aggregator;
}

/** How prom-client's cluster mode combines a metric across workers; only kept and reported here. */
export type Aggregator = 'omit' | 'sum' | 'first' | 'min' | 'max' | 'average';

/** A set of metrics exposed together. */
export class Registry {
  /** The Prometheus text format 0.0.4 content type. */
  static readonly PROMETHEUS_CONTENT_TYPE: PrometheusContentType;
  /** The OpenMetrics 1.0.0 content type. */
  static readonly OPENMETRICS_CONTENT_TYPE: OpenMetricsContentType;
  /**
   * A registry exposing the metrics of every given registry (the same metrics, not
   * copies); they must share one content type (ERR_INVALID_ARGUMENT otherwise).
   */
  static merge(registers: Registry[]): Registry;
  /** @param regContentType the format `metrics()` returns (Prometheus text by default) */
  constructor(regContentType?: RegistryContentType);
  /** The content type of `metrics()`'s text. */
  readonly contentType: RegistryContentType;
  /** Chooses the format of `metrics()`; throws ERR_INVALID_ARGUMENT for any other type. */
  setContentType(contentType: RegistryContentType): void;
  /**
   * Registers a metric; throws ERR_DUPLICATE_TIMESERIES when its series are taken.
   * Registering the same metric again does nothing.
   */
  registerMetric(metric: Metric): void;
  /** The exposition of every registered metric, after awaiting every metric's `collect`. */
  metrics(): Promise<string>;
  /**
   * Every metric in prom-client's JSON shape, default labels included, after awaiting
   * every metric's `collect`.
   */
  getMetricsAsJSON(): Promise<MetricObjectWithValues[]>;
  /** The registered metrics, in registration order. */
  getMetricsAsArray(): Metric[];
  /** One metric's exposition (no trailing newline), after its `collect`; rejects with ERR_INVALID_ARGUMENT for an unknown name. */
  getSingleMetricAsString(name: string): Promise<string>;
  /** The metric registered under `name`. */
  getSingleMetric(name: string): Metric | undefined;
  /** Unregisters the metric registered under `name`, if any. */
  removeSingleMetric(name: string): void;
  /**
   * Labels added to every series from now on, replacing those set before (`{}` for
   * none); a series' own label of the same name wins. Names are checked as label names.
   */
  setDefaultLabels(labels: Record<string, string | number>): void;
  /** Unregisters every metric and drops the default labels. */
  clear(): void;
  /** Resets every registered metric. */
  resetMetrics(): void;
}

/** The default registry. */
export const register: Registry;
/** The default registry's content type. */
export const contentType: PrometheusContentType;
/** `Registry.PROMETHEUS_CONTENT_TYPE`. */
export const prometheusContentType: PrometheusContentType;
/** `Registry.OPENMETRICS_CONTENT_TYPE`. */
export const openMetricsContentType: OpenMetricsContentType;

/** Whether `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`, the core's rule). */
export function validateMetricName(name: string): boolean;
/** `count` bucket bounds from `start`, `width` apart; ERR_INVALID_ARGUMENT unless `count` >= 1. */
export function linearBuckets(start: number, width: number, count: number): number[];
/**
 * `count` bucket bounds from `start`, each `factor` times the one before;
 * ERR_INVALID_ARGUMENT unless `start` > 0, `count` >= 1 and `factor` > 1.
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[];

/**
 * Makes `clock()` (milliseconds since the epoch, as `Date.now()` returns) the time of
 * every metric from now on: `setToCurrentTime`, summary windows and `startTimer`
 * durations. `null` or `undefined` goes back to the host's clock: `Date.now()`, and
 * `performance.now()` (monotonic) for timers. A clock that throws or returns anything
 * but a finite number counts as `Date.now()`. Throws ERR_INVALID_ARGUMENT for anything
 * but a function, null or undefined. One clock serves the whole package.
 */
export function setClock(clock: (() => number) | null | undefined): void;

/** Options shared by every metric. */
export interface MetricConfiguration<T extends string> {
  /** The metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`); a counter's gets `_total` in the exposition. */
  name: string;
  /** The help text. */
  help: string;
  /** The label names, in the order `labels(...values)` takes values. */
  labelNames?: readonly T[];
  /** Where to register the metric (the default registry otherwise; `[]` for nowhere). */
  registers?: Registry[];
  /**
   * Called with `this` = the metric right before a registry's `metrics()`,
   * `getMetricsAsJSON()` or `getSingleMetricAsString()` (or the metric's `get()`) reads
   * it; a returned Promise is awaited (every metric's, together) first. A throw or a
   * rejection rejects that call.
   */
  collect?: (this: any) => void | Promise<void>;
  /** Kept as `aggregator` and reported in the JSON (default `'sum'`); nothing else uses it. */
  aggregator?: Aggregator;
}

/** What every metric has. */
export abstract class Metric<T extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: T[];
  readonly type: MetricTypeName;
  readonly aggregator: Aggregator;
  /** The metric in prom-client's JSON shape (no registry's default labels), after its `collect`. */
  get(): Promise<MetricObjectWithValues>;
  /** Removes the series for label values (in `labelNames` order) or a labels object. */
  remove(...values: Array<string | number>): void;
  remove(labels: LabelValues<T>): void;
  /** Drops every series of a labelled metric; sets an unlabelled one back to zero. */
  reset(): void;
}

/** A counter: only goes up (exposed as `<name>_total`). */
export class Counter<T extends string = string> extends Metric<T> {
  constructor(configuration: MetricConfiguration<T>);
  /** Adds `value` (default 1); throws ERR_NEGATIVE_INCREMENT below zero. */
  inc(labels?: LabelValues<T>, value?: number): void;
  inc(value?: number): void;
  /** The child for label values, kept to skip the lookup. */
  labels(...values: Array<string | number>): Counter.Internal;
  labels(labels: LabelValues<T>): Counter.Internal;
}
export namespace Counter {
  interface Internal {
    inc(value?: number): void;
  }
}

/** A gauge: goes up and down. */
export class Gauge<T extends string = string> extends Metric<T> {
  constructor(configuration: MetricConfiguration<T>);
  inc(labels?: LabelValues<T>, value?: number): void;
  inc(value?: number): void;
  dec(labels?: LabelValues<T>, value?: number): void;
  dec(value?: number): void;
  set(labels: LabelValues<T>, value: number): void;
  set(value: number): void;
  /** Sets the gauge to the current time in seconds (`Date.now()`, or the clock `setClock` set). */
  setToCurrentTime(labels?: LabelValues<T>): void;
  /**
   * Starts a timer; calling the function returned sets the gauge (for `labels` merged
   * with the labels given then) to the seconds elapsed, and returns them.
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number;
  labels(...values: Array<string | number>): Gauge.Internal;
  labels(labels: LabelValues<T>): Gauge.Internal;
}
export namespace Gauge {
  interface Internal {
    inc(value?: number): void;
    dec(value?: number): void;
    set(value: number): void;
    setToCurrentTime(): void;
    /** As the gauge's `startTimer`, for this child. */
    startTimer(): (labels?: LabelValues<string>) => number;
  }
}

/** Options of a histogram. */
export interface HistogramConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Upper bounds, increasing (`+Inf` is added); prom-client's defaults otherwise. */
  buckets?: number[];
}

/** A histogram of observations in buckets. */
export class Histogram<T extends string = string> extends Metric<T> {
  constructor(configuration: HistogramConfiguration<T>);
  observe(labels: LabelValues<T>, value: number): void;
  observe(value: number): void;
  /**
   * Starts a timer; calling the function returned observes the seconds elapsed (for
   * `labels` merged with the labels given then) and returns them.
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number;
  /** Creates the series for `labels` at zero. */
  zero(labels: LabelValues<T>): void;
  labels(...values: Array<string | number>): Histogram.Internal<T>;
  labels(labels: LabelValues<T>): Histogram.Internal<T>;
}
export namespace Histogram {
  interface Internal<T extends string = string> {
    observe(value: number): void;
    /** As the histogram's `startTimer`, for this child. */
    startTimer(): (labels?: LabelValues<T>) => number;
  }
}

/** Options of a summary. */
export interface SummaryConfiguration<T extends string> extends MetricConfiguration<T> {
  /** The quantiles to expose, each in [0, 1]; prom-client's `[0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999]` by default, `[]` for none. */
  percentiles?: number[];
  /** With `ageBuckets`: the quantiles cover the last this many seconds (otherwise every observation). */
  maxAgeSeconds?: number;
  /** With `maxAgeSeconds`: how many parts the window rotates in (1 to 1000). */
  ageBuckets?: number;
}

/** A summary: a count, a sum and quantile estimates (within 0.1% of rank) of the observations. */
export class Summary<T extends string = string> extends Metric<T> {
  constructor(configuration: SummaryConfiguration<T>);
  observe(labels: LabelValues<T>, value: number): void;
  observe(value: number): void;
  /**
   * Starts a timer; calling the function returned observes the seconds elapsed (for
   * `labels` merged with the labels given then) and returns them.
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number;
  labels(...values: Array<string | number>): Summary.Internal<T>;
  labels(labels: LabelValues<T>): Summary.Internal<T>;
}
export namespace Summary {
  interface Internal<T extends string = string> {
    observe(value: number): void;
    /** As the summary's `startTimer`, for this child. */
    startTimer(): (labels?: LabelValues<T>) => number;
  }
}

/**
 * An info (not in prom-client): key/value metadata exposed as the labels of a constant
 * `<name>_info` sample (type gauge in the Prometheus text format).
 */
export class Info<T extends string = string> extends Metric<T> {
  constructor(configuration: MetricConfiguration<T>);
  /** Sets the pairs of the unlabelled series. */
  set(info: Record<string, string | number>): void;
  /** Sets the pairs of the series for `labels`; a key may not be a label name (ERR_INFO_OVERLAP). */
  set(labels: LabelValues<T>, info: Record<string, string | number>): void;
  labels(...values: Array<string | number>): Info.Internal;
  labels(labels: LabelValues<T>): Info.Internal;
}
export namespace Info {
  interface Internal {
    set(info: Record<string, string | number>): void;
  }
}

/** Options of an enum. */
export interface EnumConfiguration<T extends string, S extends string> extends MetricConfiguration<T> {
  /** The states, the first being each series' state at first (ERR_NO_STATES when empty). */
  states: readonly S[];
}

/**
 * An enum (not in prom-client; OpenMetrics' stateset): which one of its states each
 * series is in, exposed as one sample per state labelled by the metric's name, 1 for
 * the current state and 0 for the others.
 */
export class Enum<T extends string = string, S extends string = string> extends Metric<T> {
  constructor(configuration: EnumConfiguration<T, S>);
  readonly states: S[];
  /** Puts the unlabelled series in `state` (ERR_UNKNOWN_STATE if it is not one of `states`). */
  state(state: S): void;
  /** Puts the series for `labels` in `state`. */
  state(labels: LabelValues<T>, state: S): void;
  labels(...values: Array<string | number>): Enum.Internal<S>;
  labels(labels: LabelValues<T>): Enum.Internal<S>;
}
export namespace Enum {
  interface Internal<S extends string = string> {
    state(state: S): void;
  }
}

/** Options of a Pushgateway. */
export interface PushgatewayOptions {
  /** The fetch to send with (the global `fetch` by default). */
  fetch?: typeof fetch;
  /** Milliseconds before a push is aborted (default 10000). */
  timeout?: number;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /** Basic auth credentials. */
  auth?: { username: string; password: string };
  /** Reject pushes without a jobName (default true). */
  requireJobName?: boolean;
  /**
   * Given to `fetch`. `'no-cors'` lets a page push to a gateway on another origin that
   * sends no CORS headers (the Pushgateway sends none): `pushAdd` only (`push` and
   * `delete` reject with ERR_INVALID_ARGUMENT), and the page cannot learn whether the
   * gateway took the push: it resolves with an opaque response (status 0) either way and
   * rejects only when the gateway cannot be reached. Headers but `Content-Type` are dropped.
   */
  mode?: RequestMode;
  /** Given to `fetch`: lets a push sent while the page is being closed finish. */
  keepalive?: boolean;
}

/** Pushes a registry to a Pushgateway; a failure rejects with a PushError. */
export class Pushgateway {
  constructor(url: string, options?: PushgatewayOptions, registry?: Registry);
  /** POST: replaces the pushed metric names in the group. */
  pushAdd(params: Pushgateway.Parameters): Promise<{ resp: Response; body: string }>;
  /** PUT: replaces every metric of the group. */
  push(params: Pushgateway.Parameters): Promise<{ resp: Response; body: string }>;
  /** DELETE: deletes the group. */
  delete(params: Pushgateway.Parameters): Promise<{ resp: Response; body: string }>;
  /**
   * Pushes in the background of a request (`ctx.waitUntil`), for edge functions whose
   * isolate may stop once it answered: at most once per `minIntervalMs` (returns false when
   * skipped); a failed push goes to `onError` (default `console.error`), never rejecting.
   */
  flush(
    ctx: { waitUntil(promise: Promise<unknown>): void },
    params: Pushgateway.Parameters,
    options?: { method?: 'pushAdd' | 'push'; minIntervalMs?: number; onError?: (err: Error) => void },
  ): boolean;
}
export namespace Pushgateway {
  interface Parameters {
    /** The job of the group. */
    jobName: string;
    /** The rest of the grouping key; values with '/', spaces or nothing are sent `@base64`. */
    groupings?: Record<string, string>;
  }
}

/** Every export in one object, as prom-client's CommonJS `module.exports`. */
declare const fastprom: {
  Registry: typeof Registry;
  register: typeof register;
  contentType: typeof contentType;
  prometheusContentType: typeof prometheusContentType;
  openMetricsContentType: typeof openMetricsContentType;
  validateMetricName: typeof validateMetricName;
  Counter: typeof Counter;
  Gauge: typeof Gauge;
  Histogram: typeof Histogram;
  Summary: typeof Summary;
  Info: typeof Info;
  Enum: typeof Enum;
  Pushgateway: typeof Pushgateway;
  linearBuckets: typeof linearBuckets;
  exponentialBuckets: typeof exponentialBuckets;
  setClock: typeof setClock;
};
export default fastprom;
