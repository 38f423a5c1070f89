#!/bin/sh
# Builds the JS package into bindings-wasm/pkg/: one ES-module package for Node, browsers,
# Deno and workerd. Steps: the .wasm in cargo's `wasm-release` profile (the workspace's
# release profile tuned for size), `wasm-opt -Oz` (binaryen), the wasm-bindgen glue
# (--target web), then the hand-written files from js/ beside them.
#
# wasm-opt runs before wasm-bindgen, on cargo's output: Debian 12's binaryen (108) writes a
# wrong table index into the export of the externref table that wasm-bindgen adds (reading
# and writing the module back, even at -O0, breaks it, and `initSync` then fails in
# `Table.grow`), and before wasm-bindgen there is no such table. wasm-bindgen still reads
# its descriptions from the optimised module, and stops with an error if it cannot.
#
# Installs the wasm-bindgen CLI at the version Cargo.toml pins when the one on PATH differs.
# Prints the .wasm's raw and gzipped sizes and fails (after writing pkg/, to look at) when
# the gzipped one is over MAX_GZIP bytes. When cargo's .wasm, the tools and this script are
# unchanged, the glue and the optimised .wasm are reused, so a run with nothing to do is quick.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# 150 KiB: what a page or a Worker downloads, compressed as servers send it.
MAX_GZIP=153600
# Knobs for weighing speed against size (the defaults are what the package ships):
# WASM_OPT_FLAGS, wasm-opt's flags ("-O3"; "-Oz -g" keeps function names for a profiler),
# and WASM_CARGO_FLAGS, added to cargo build (e.g. --config 'profile.wasm-release.package.fastprom.opt-level="s"').
WASM_OPT_FLAGS=${WASM_OPT_FLAGS:--Oz}

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$here/Cargo.toml")
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
    cargo install wasm-bindgen-cli --version "$want" --locked
fi
command -v wasm-opt >/dev/null || { echo "build.sh: wasm-opt not found (Debian package binaryen; make setup installs it)" >&2; exit 1; }

cd "$root"
# shellcheck disable=SC2086 # the flags are words
cargo build -p fastprom-wasm --profile wasm-release --target wasm32-unknown-unknown ${WASM_CARGO_FLAGS:-}
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
input="$target/wasm32-unknown-unknown/wasm-release/fastprom_wasm.wasm"

# The optimised .wasm and its glue, kept under target/ with what they were made from
# (cargo's .wasm, the tools' versions and this script).
gen="$target/fastprom-wasm-web"
stamp="$(cat "$input" "$here/build.sh" | sha256sum | cut -d' ' -f1) wasm-bindgen $want; $(wasm-opt --version) $WASM_OPT_FLAGS"
if [ "$(cat "$gen/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
    rm -rf "$gen"
    mkdir -p "$gen/opt"
    # shellcheck disable=SC2086 # the flags are words
    wasm-opt $WASM_OPT_FLAGS "$input" -o "$gen/opt/fastprom_wasm.wasm"
    wasm-bindgen --target web --out-dir "$gen" "$gen/opt/fastprom_wasm.wasm"
    echo "$stamp" >"$gen/.stamp"
fi

rm -rf "$here/pkg"
mkdir -p "$here/pkg"
cp "$gen/fastprom_wasm.js" "$gen/fastprom_wasm.d.ts" "$gen/fastprom_wasm_bg.wasm" "$here/pkg/"
cp "$here/js/api.js" "$here/js/node.js" "$here/js/web.js" "$here/js/workerd.js" \
    "$here/js/index.d.ts" "$here/js/package.json" "$here/pkg/"
echo "built $here/pkg"

raw_size=$(wc -c <"$gen/fastprom_wasm_bg.wasm")
gz_size=$(gzip -c "$gen/fastprom_wasm_bg.wasm" | wc -c)
echo "fastprom_wasm_bg.wasm: $raw_size bytes, $gz_size gzipped (gzip's default level; limit $MAX_GZIP)"
if [ "$gz_size" -gt "$MAX_GZIP" ]; then
    echo "build.sh: FAILED: the gzipped .wasm is $gz_size bytes, over the $MAX_GZIP-byte limit" >&2
    exit 1
fi
