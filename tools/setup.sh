#!/usr/bin/env bash
# Installs what a fresh machine lacks for `make demo` / `make test`, and skips what is
# already there so repeated runs stay short. Debian packages need root (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# binaryen's wasm-opt shrinks the JS package's .wasm; chromium is the browser its tests use;
# MariaDB is the server the tutorial's MySQL exporter reads; wrk loads start_http_server's
# server in make bench-server; InfluxDB 1.x is the second remote-write receiver of the tests.
for pkg_bin in prometheus:prometheus prometheus-pushgateway:prometheus-pushgateway prometheus:promtool prometheus-node-exporter:prometheus-node-exporter valgrind:valgrind cmake:cmake binaryen:wasm-opt chromium:chromium mariadb-server:mariadbd mariadb-client:mariadb wrk:wrk influxdb:influxd; do
  pkg=${pkg_bin%%:*}; bin=${pkg_bin##*:}
  command -v "$bin" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need_apt[@]}" | sort -u) >/dev/null
  # Installing may start the packages' own services; tests and the demo start their own
  # on free loopback ports, so stop the ones just installed.
  for svc in "${need_apt[@]}"; do
    if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" 2>/dev/null || true; fi
    if [ -x "/etc/init.d/$svc" ]; then "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; fi
  done
  # MariaDB's service is named mariadb; the exporter's tests run a server of their own.
  if [ -x /etc/init.d/mariadb ]; then /etc/init.d/mariadb stop >/dev/null 2>&1 || true; fi
fi
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# miri (make test-miri) runs on nightly; install the toolchain's smallest profile with it.
if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "setup: adding miri and rust-src to the nightly toolchain"
  if rustup toolchain list | grep -q '^nightly'; then
    rustup component add miri rust-src --toolchain nightly
  else
    rustup toolchain install nightly --profile minimal --component miri,rust-src
  fi
fi

# The runtimes bindings-wasm/tests runs the JS package in (deno, workerd, playwright-core
# for Debian's chromium), at the versions its package-lock.json pins; installed again only
# when that file changes.
js_tests=bindings-wasm/tests
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found: $js_tests/node_modules not installed (make test-wasm-js needs it)"
elif ! cmp -s "$js_tests/package-lock.json" "$js_tests/node_modules/.fastprom-package-lock.json"; then
  echo "setup: installing the JS test runtimes (npm ci in $js_tests)"
  (cd "$js_tests" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$js_tests/package-lock.json" "$js_tests/node_modules/.fastprom-package-lock.json"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
want = {}
for line in open("tools/requirements-dev.txt"):
    line = line.split("#")[0].strip()
    if line:
        n, v = line.split("==")
        want[n] = v
sys.exit(0 if all(m.version(n) == v for n, v in want.items()) else 1)
PY
then
  echo "setup: installing Python test dependencies"
  .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements-dev.txt
fi
echo "setup: ok"
