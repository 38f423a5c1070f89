/* @ts-self-types="./remote-write.d.ts" */
// fastprom/remote-write for browsers, Deno and bundlers: fetches its own .wasm beside this
// file before the module finishes loading; the default registry is web.js's.
import init, * as raw from './fastprom_remote_write.js';
import { register } from './web.js';
import { makeRemoteWrite } from './remote-write-api.js';

await init({ module_or_path: new URL('./fastprom_remote_write_bg.wasm', import.meta.url) });
const api = makeRemoteWrite(raw, register);

export const { RemoteWrite, remoteWrite, buildRemoteWriteRequests, HEADERS } = api;
export default api;
