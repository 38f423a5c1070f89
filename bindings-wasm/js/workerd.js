// fastprom's entry for Cloudflare's workerd (Workers, wrangler, workerd configs): importing
// a .wasm there gives a compiled WebAssembly.Module, instantiated synchronously.
import wasm from './fastprom_wasm_bg.wasm';
import * as raw from './fastprom_wasm.js';
import { makeApi } from './api.js';

raw.initSync({ module: wasm });
const api = makeApi(raw);

export const {
  Registry,
  register,
  contentType,
  prometheusContentType,
  openMetricsContentType,
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
} = api;
export default api;
