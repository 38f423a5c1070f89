#!/bin/sh
# Builds the Node package into bindings-wasm/pkg/: the release .wasm, the wasm-bindgen
# glue (--target nodejs) and the hand-written wrapper from js/. Installs the wasm-bindgen
# CLI at the version Cargo.toml pins when the one on PATH differs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$here/Cargo.toml")
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
    cargo install wasm-bindgen-cli --version "$want" --locked
fi
cd "$root"
cargo build -p fastprom-wasm --release --target wasm32-unknown-unknown
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
rm -rf "$here/pkg"
wasm-bindgen --target nodejs --out-dir "$here/pkg" \
    "$target/wasm32-unknown-unknown/release/fastprom_wasm.wasm"
cp "$here/js/index.js" "$here/js/index.d.ts" "$here/js/package.json" "$here/pkg/"
echo "built $here/pkg"
