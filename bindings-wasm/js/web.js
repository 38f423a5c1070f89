/* @ts-self-types="./index.d.ts" */
// fastprom's entry for browsers, Deno and bundlers: fetches the .wasm beside this file
// (a URL bundlers recognise and copy) and instantiates it before the module finishes loading.
import init, * as raw from './fastprom_wasm.js';
import { makeApi } from './api.js';

await init({ module_or_path: new URL('./fastprom_wasm_bg.wasm', import.meta.url) });
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
