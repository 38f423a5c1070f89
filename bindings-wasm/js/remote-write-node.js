// fastprom/remote-write for Node: reads its own .wasm beside this file synchronously; the
// default registry is the one `fastprom` (node.js) exports.
import { readFileSync } from 'node:fs';
import * as raw from './fastprom_remote_write.js';
import { register } from './node.js';
import { makeRemoteWrite } from './remote-write-api.js';

raw.initSync({ module: readFileSync(new URL('./fastprom_remote_write_bg.wasm', import.meta.url)) });
const api = makeRemoteWrite(raw, register);

export const { RemoteWrite, remoteWrite, buildRemoteWriteRequests, HEADERS } = api;
export default api;
