#!/usr/bin/env bash
# Cross-compilation check of lsar-ffi as a library (rlib + staticlib: no NDK or Xcode linker
# needed) for aarch64-linux-android (with the JNI fast path) and aarch64-apple-ios.
#   ffi/cross-check.sh [target ...]
#   CROSS_MODE=check ffi/cross-check.sh   # cargo check only: ~2 min per target on 2 busy cores
# A target that `rustup target add` cannot install is skipped LOUDLY and checked with
# `cargo tree --target` instead (dependency resolution and cfg only). Exit status non-zero
# when a build fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGETS=("$@")
[ "${#TARGETS[@]}" -eq 0 ] && TARGETS=(aarch64-linux-android aarch64-apple-ios)
failed=()
for t in "${TARGETS[@]}"; do
    features=()
    [[ "$t" == *android* ]] && features=(--features jni)
    printf '\n=== %s\n' "$t"
    if rustup target add "$t"; then
        if [ "${CROSS_MODE:-build}" = check ]; then
            cargo check --lib -p lsar-ffi "${features[@]}" --target "$t" || failed+=("$t")
        else
            cargo rustc --lib -p lsar-ffi "${features[@]}" --release --target "$t" --crate-type staticlib \
                || failed+=("$t")
        fi
    else
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
        printf '!!! SKIPPED cross build for %s: rustup target add failed;\n' "$t"
        printf '!!! checking cargo tree --target %s instead\n' "$t"
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
        cargo tree -p lsar-ffi "${features[@]}" --target "$t" -e normal >/dev/null || failed+=("$t-tree")
    fi
done
printf '\n=== cross check: failed [%s]\n' "${failed[*]:-}"
[ "${#failed[@]}" -eq 0 ]
