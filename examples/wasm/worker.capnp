# workerd config for worker.js: after bindings-wasm/build.sh, from the repository root,
#
#   PUSHGATEWAY_URL=http://127.0.0.1:9091 REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write \
#     workerd serve examples/wasm/worker.capnp
#
# It listens on 127.0.0.1:8787 (`--socket-addr http=127.0.0.1:PORT` moves it).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # A Worker's fetch() goes out through the service named "internet", which by default
    # reaches public addresses only. "local" adds this machine's (127.0.0.0/8, ::1) for a
    # Pushgateway on loopback; "private" would add the LAN's too.
    (name = "internet", network = (allow = ["public", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    # The fastprom package, each module named after its path in the package
    # ("fastprom/" + the file), its entries after their export paths: workerd resolves an
    # import against the importing module's name, so both entries' relative imports land
    # on these, and remote write's default registry is the main entry's.
    (name = "fastprom/workerd", esModule = embed "../../bindings-wasm/pkg/workerd.js"),
    (name = "fastprom/api.js", esModule = embed "../../bindings-wasm/pkg/api.js"),
    (name = "fastprom/fastprom_wasm.js", esModule = embed "../../bindings-wasm/pkg/fastprom_wasm.js"),
    (name = "fastprom/fastprom_wasm_bg.wasm", wasm = embed "../../bindings-wasm/pkg/fastprom_wasm_bg.wasm"),
    # fastprom/remote-write and its own .wasm.
    (name = "fastprom/remote-write", esModule = embed "../../bindings-wasm/pkg/remote-write-workerd.js"),
    (name = "fastprom/remote-write-api.js", esModule = embed "../../bindings-wasm/pkg/remote-write-api.js"),
    (name = "fastprom/fastprom_remote_write.js", esModule = embed "../../bindings-wasm/pkg/fastprom_remote_write.js"),
    (name = "fastprom/fastprom_remote_write_bg.wasm", wasm = embed "../../bindings-wasm/pkg/fastprom_remote_write_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "PUSHGATEWAY_URL", fromEnvironment = "PUSHGATEWAY_URL"),
    (name = "REMOTE_WRITE_URL", fromEnvironment = "REMOTE_WRITE_URL"),
  ],
);
