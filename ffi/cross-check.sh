#!/usr/bin/env bash
# Cross build of lsar-ffi's library crate as a staticlib (no NDK or Xcode linker needed: a
# static archive is not linked) for aarch64-linux-android (with the JNI fast path) and
# aarch64-apple-ios (with the `metal` feature), in the dev profile to keep CI short.
#   ffi/cross-check.sh [target ...]
#   CROSS_MODE=check ffi/cross-check.sh   # cargo check only (no code generation)
# A target that `rustup target add` cannot install is reported LOUDLY and checked with
# `cargo tree --target` instead (dependency resolution and cfg only). Exit status non-zero
# when a build fails. Prints the wall time of each target.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TARGETS=("$@")
[ "${#TARGETS[@]}" -eq 0 ] && TARGETS=(aarch64-linux-android aarch64-apple-ios)
# gemm (candle's CPU matmul) emits FP16 NEON inline assembly that LLVM accepts on aarch64
# only once it is inlined into its fp16-enabled callers, i.e. not at opt-level 0: the dev
# profile fails with "instruction requires: fullfp16" (upstream: sarah-quinones/gemm issue
# #31, fixes proposed in PRs #45 and #47). Optimising these two crates in this build only
# avoids it without enabling fp16 for the whole target (which not every arm64 phone has).
GEMM_OPT=(--config 'profile.dev.package.gemm-common.opt-level=3'
    --config 'profile.dev.package.gemm-f16.opt-level=3')
failed=()
fallback=()
for t in "${TARGETS[@]}"; do
    features=()
    case "$t" in
        *android*) features=(--features jni) ;;
        *apple*) features=(--features metal) ;;
    esac
    printf '\n=== %s (%s)\n' "$t" "${features[*]:-no features}"
    start=$SECONDS
    if rustup target add "$t"; then
        if [ "${CROSS_MODE:-build}" = check ]; then
            cargo "${GEMM_OPT[@]}" check --lib -p lsar-ffi "${features[@]}" --target "$t" || failed+=("$t")
        else
            # `cargo rustc --crate-type staticlib` replaces the manifest's crate types for
            # this build: the cdylib would need the target's linker.
            if cargo "${GEMM_OPT[@]}" rustc --lib -p lsar-ffi "${features[@]}" --target "$t" \
                --crate-type staticlib; then
                lib="$TARGET_DIR/$t/debug/liblsar_ffi.a"
                if [ -s "$lib" ]; then
                    ls -l "$lib"
                else
                    echo "error: $lib was not written" >&2
                    failed+=("$t")
                fi
            else
                failed+=("$t")
            fi
        fi
    else
        fallback+=("$t")
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
        printf '!!! NO CROSS BUILD for %s: rustup target add failed;\n' "$t"
        printf '!!! checking cargo tree --target %s instead\n' "$t"
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
        cargo tree -p lsar-ffi "${features[@]}" --target "$t" -e normal >/dev/null || failed+=("$t-tree")
    fi
    printf '=== %s: %d s\n' "$t" "$((SECONDS - start))"
done
printf '\n=== cross build: failed [%s], only cargo tree [%s]\n' "${failed[*]:-}" "${fallback[*]:-}"
[ "${#failed[@]}" -eq 0 ]
