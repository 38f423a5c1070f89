// fastprom's entry for Node (20.19 and later, where `require()` loads this ES module too):
// reads the .wasm beside this file synchronously, so there is no top-level await.
import { readFileSync } from 'node:fs';
import * as raw from './fastprom_wasm.js';
import { makeApi } from './api.js';

raw.initSync({ module: readFileSync(new URL('./fastprom_wasm_bg.wasm', import.meta.url)) });
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
