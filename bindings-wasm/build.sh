#!/bin/sh
# Builds the JS package into bindings-wasm/pkg/: one ES-module package for Node, browsers,
# Deno and workerd, with two .wasm modules: the main one and remote write's (a separate
# download that only `fastprom/remote-write` loads). Steps, for each module: the .wasm in
# cargo's `wasm-release` profile (the workspace's release profile tuned for size),
# `wasm-opt -Oz` (binaryen) and the wasm-bindgen glue (--target web); then the
# hand-written files from js/ beside them.
#
# wasm-opt runs before wasm-bindgen, on cargo's output: Debian 12's binaryen (108) writes a
# wrong table index into the export of the externref table that wasm-bindgen adds (reading
# and writing the module back, even at -O0, breaks it, and `initSync` then fails in
# `Table.grow`), and before wasm-bindgen there is no such table. wasm-bindgen still reads
# its descriptions from the optimised module, and stops with an error if it cannot.
#
# Installs the wasm-bindgen CLI at the version Cargo.toml pins when the one on PATH differs.
# Prints each .wasm's raw and gzipped sizes and fails (after writing pkg/, to look at) when
# a gzipped one is over MAX_GZIP bytes. When cargo's .wasm, the tools and this script are
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
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
rm -rf "$here/pkg"
mkdir -p "$here/pkg"

# build_module CRATE NAME: cargo's .wasm of CRATE (lib NAME), optimised and with its glue,
# into pkg/. Kept under target/NAME-web with what it was made from (cargo's .wasm, the
# tools' versions and this script), so an unchanged module is reused.
build_module() {
    # shellcheck disable=SC2086 # the flags are words
    cargo build -p "$1" --profile wasm-release --target wasm32-unknown-unknown ${WASM_CARGO_FLAGS:-}
    input="$target/wasm32-unknown-unknown/wasm-release/$2.wasm"
    gen="$target/$1-web"
    stamp="$(cat "$input" "$here/build.sh" | sha256sum | cut -d' ' -f1) wasm-bindgen $want; $(wasm-opt --version) $WASM_OPT_FLAGS"
    if [ "$(cat "$gen/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
        rm -rf "$gen"
        mkdir -p "$gen/opt"
        # shellcheck disable=SC2086 # the flags are words
        wasm-opt $WASM_OPT_FLAGS "$input" -o "$gen/opt/$2.wasm"
        wasm-bindgen --target web --out-dir "$gen" "$gen/opt/$2.wasm"
        echo "$stamp" >"$gen/.stamp"
    fi
    cp "$gen/$2.js" "$gen/$2.d.ts" "$gen/$2_bg.wasm" "$here/pkg/"
}

# The main module, and remote write's own (loaded only by `fastprom/remote-write`).
build_module fastprom-wasm fastprom_wasm
build_module fastprom-wasm-remote-write fastprom_remote_write
for f in api.js node.js web.js workerd.js index.d.ts package.json \
    remote-write-api.js remote-write-node.js remote-write-web.js remote-write-workerd.js remote-write.d.ts; do
    cp "$here/js/$f" "$here/pkg/"
done
echo "built $here/pkg"

failed=0
for module in fastprom_wasm fastprom_remote_write; do
    raw_size=$(wc -c <"$here/pkg/${module}_bg.wasm")
    gz_size=$(gzip -c "$here/pkg/${module}_bg.wasm" | wc -c)
    echo "${module}_bg.wasm: $raw_size bytes, $gz_size gzipped (gzip's default level; limit $MAX_GZIP)"
    if [ "$gz_size" -gt "$MAX_GZIP" ]; then
        echo "build.sh: FAILED: the gzipped ${module}_bg.wasm is $gz_size bytes, over the $MAX_GZIP-byte limit" >&2
        failed=1
    fi
done
exit $failed
