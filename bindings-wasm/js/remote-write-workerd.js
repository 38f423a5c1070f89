// fastprom/remote-write for Cloudflare's workerd: its .wasm is imported as a compiled
// module and instantiated synchronously; the default registry is workerd.js's.
import wasm from './fastprom_remote_write_bg.wasm';
import * as raw from './fastprom_remote_write.js';
// './workerd', as workerd names modules: a bundler (wrangler) resolves it to the same
// workerd.js an app's `import ... from 'fastprom'` gets, and a workerd config that names its
// modules after the package's export paths ("fastprom/workerd", "fastprom/remote-write")
// resolves it to that module: one main module either way, one default registry.
import { register } from './workerd';
import { makeRemoteWrite } from './remote-write-api.js';

raw.initSync({ module: wasm });
const api = makeRemoteWrite(raw, register);

export const { RemoteWrite, remoteWrite, buildRemoteWriteRequests, HEADERS } = api;
export default api;
