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

/** A set of metrics exposed together. */
export class Registry {
  /** The Prometheus text format 0.0.4 content type. */
  static readonly PROMETHEUS_CONTENT_TYPE: PrometheusContentType;
  /** The OpenMetrics 1.0.0 content type. */
  static readonly OPENMETRICS_CONTENT_TYPE: OpenMetricsContentType;
  /** @param regContentType the format `metrics()` returns (Prometheus text by default) */
  constructor(regContentType?: RegistryContentType);
  /** The content type of `metrics()`'s text. */
  readonly contentType: RegistryContentType;
  /** Chooses the format of `metrics()`; throws ERR_INVALID_ARGUMENT for any other type. */
  setContentType(contentType: RegistryContentType): void;
  /** Registers a metric; throws ERR_DUPLICATE_TIMESERIES when its series are taken. */
  registerMetric(metric: Metric): void;
  /** The exposition of every registered metric. */
  metrics(): Promise<string>;
  /** The metric registered under `name`. */
  getSingleMetric(name: string): Metric | undefined;
  /** Unregisters every metric. */
  clear(): void;
  /** Resets every registered metric. */
  resetMetrics(): void;
}

/** The default registry. */
export const register: Registry;
/** The default registry's content type. */
export const contentType: PrometheusContentType;

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
}

/** What every metric has. */
export abstract class Metric<T extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: T[];
  /** Removes the series for label values (in `labelNames` order) or a labels object. */
  remove(...values: Array<string | number>): void;
  remove(labels: LabelValues<T>): void;
  /** Drops every series of a labelled metric; sets an unlabelled one back to zero. */
  reset(): void;
}

/** A counter: only goes up. */
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
  /** Sets the gauge to `Date.now()` in seconds. */
  setToCurrentTime(labels?: LabelValues<T>): void;
  labels(...values: Array<string | number>): Gauge.Internal;
  labels(labels: LabelValues<T>): Gauge.Internal;
}
export namespace Gauge {
  interface Internal {
    inc(value?: number): void;
    dec(value?: number): void;
    set(value: number): void;
    setToCurrentTime(): void;
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
  labels(...values: Array<string | number>): Histogram.Internal;
  labels(labels: LabelValues<T>): Histogram.Internal;
}
export namespace Histogram {
  interface Internal {
    observe(value: number): void;
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
  Counter: typeof Counter;
  Gauge: typeof Gauge;
  Histogram: typeof Histogram;
  Pushgateway: typeof Pushgateway;
};
export default fastprom;
