#!/usr/bin/env bash
# Generates the Kotlin, Swift and Python bindings of lsar-ffi from a built library (UniFFI
# library mode):   ffi/generate-bindings.sh [library] [out-dir]
# Defaults: builds target/debug/liblsar_ffi.so (host) and writes target/bindings/<language>/.
# A cross-compiled .a (Android, iOS) gives the same bindings.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB="${1:-}"
OUT="${2:-$TARGET_DIR/bindings}"
if [ -z "$LIB" ]; then
    cargo build -p lsar-ffi
    LIB="$TARGET_DIR/debug/liblsar_ffi.so"
    [ "$(uname)" = Darwin ] && LIB="$TARGET_DIR/debug/liblsar_ffi.dylib"
fi
cargo build -p lsar-uniffi-bindgen
for lang in kotlin swift python; do
    rm -rf "${OUT:?}/$lang"
    "$TARGET_DIR/debug/uniffi-bindgen" generate "$LIB" --language "$lang" --out-dir "$OUT/$lang" --no-format
done
echo "bindings in $OUT/{kotlin,swift,python}"
