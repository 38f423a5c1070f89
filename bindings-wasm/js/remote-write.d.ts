// Types of fastprom/remote-write: Prometheus remote write over fetch, from a separate .wasm.
import type { Registry } from './index.js';

/** Options of a RemoteWrite (and of buildRemoteWriteRequests, the build ones). */
export interface RemoteWriteOptions {
  /** The fetch to send with (the global `fetch` by default). */
  fetch?: typeof fetch;
  /** Milliseconds before a request is aborted (default 10000). */
  timeout?: number;
  /** Headers added to every request, such as `X-Scope-OrgID` for a Mimir tenant. */
  headers?: Record<string, string>;
  /** Basic auth credentials (not with `bearerToken`). */
  auth?: { username: string; password: string };
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Labels added to every series that lacks them: an isolate's `job` and `instance`. */
  externalLabels?: Record<string, string>;
  /** A MetricMetadata (type, help, unit) per family in each request (default true). */
  metadata?: boolean;
  /** Send `_created` series (default true). */
  created?: boolean;
  /** The most protobuf bytes per request before compression (default 1 MiB). */
  maxRequestBytes?: number;
}

/** How a write failed: `code` is ERR_REMOTE_WRITE_STATUS, _TIMEOUT or _FAILED. */
export interface RemoteWriteError extends Error {
  code: 'ERR_REMOTE_WRITE_STATUS' | 'ERR_REMOTE_WRITE_TIMEOUT' | 'ERR_REMOTE_WRITE_FAILED';
  /** The receiver's status (ERR_REMOTE_WRITE_STATUS only). */
  status?: number;
  /** The receiver's answer (ERR_REMOTE_WRITE_STATUS only). */
  body?: string;
  /** Whether a later write may succeed: 5xx, 429, timeouts and no answer. */
  retryable: boolean;
  /** Requests that went through before this one. */
  sent: number;
}

/** Sends a registry to a remote-write receiver with fetch. */
export class RemoteWrite {
  constructor(url: string, options?: RemoteWriteOptions, registry?: Registry);
  readonly url: string;
  readonly registry: Registry;
  /** Collects now and POSTs every request; rejects with a RemoteWriteError. */
  write(): Promise<{ series: number; requests: number }>;
  /**
   * Writes in the background of a request (`ctx.waitUntil`), at most once per
   * `minIntervalMs` (returns false when skipped); failures go to `onError`.
   */
  flush(
    ctx: { waitUntil(promise: Promise<unknown>): void },
    options?: { minIntervalMs?: number; onError?: (err: RemoteWriteError) => void },
  ): boolean;
}

/** One write now: `new RemoteWrite(url, options, registry).write()`. */
export function remoteWrite(
  url: string,
  options?: RemoteWriteOptions,
  registry?: Registry,
): Promise<{ series: number; requests: number }>;

/** The bodies for a program with its own HTTP client: POST each with HEADERS. */
export function buildRemoteWriteRequests(
  registry?: Registry,
  options?: Pick<RemoteWriteOptions, 'externalLabels' | 'metadata' | 'created' | 'maxRequestBytes'>,
): Promise<Array<{ body: Uint8Array; series: number }>>;

/** The protocol's headers: Content-Encoding, Content-Type, X-Prometheus-Remote-Write-Version. */
export const HEADERS: Readonly<Record<string, string>>;

declare const remoteWriteApi: {
  RemoteWrite: typeof RemoteWrite;
  remoteWrite: typeof remoteWrite;
  buildRemoteWriteRequests: typeof buildRemoteWriteRequests;
  HEADERS: typeof HEADERS;
};
export default remoteWriteApi;
