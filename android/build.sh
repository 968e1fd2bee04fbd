#!/usr/bin/env bash
# Builds liblsar_ffi.so for Android into src/main/jniLibs/<abi>/ (cargo-ndk) and generates the
# Kotlin bindings into src/main/kotlin/uniffi/lsar_ffi/; then `gradle assembleRelease` here
# builds the AAR. Needs the Android NDK (ANDROID_NDK_HOME) and `cargo install cargo-ndk`.
#
#   android/build.sh [profile]   # profile: small-release-stripped (default) | release | dev
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PROFILE="${1:-small-release-stripped}"
# Must equal abiFilters in build.gradle.kts (checked by ffi/tests/layout.rs).
ABIS=(arm64-v8a armeabi-v7a x86_64)
TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if [ -z "${ANDROID_NDK_HOME:-}" ]; then
    echo "error: set ANDROID_NDK_HOME to an Android NDK (r28 or newer recommended)" >&2
    exit 1
fi
command -v cargo-ndk >/dev/null || { echo "error: cargo install cargo-ndk" >&2; exit 1; }
rustup target add "${TARGETS[@]}"

# 16 KB page alignment for Android 15+ (the default from NDK r28; explicit for older NDKs).
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,max-page-size=16384"

ndk_args=()
for abi in "${ABIS[@]}"; do ndk_args+=(-t "$abi"); done
cd "$ROOT"
# The dev profile (opt-level 0) cannot assemble gemm's FP16 NEON code (see
# ffi/cross-check.sh); optimise those two crates there.
gemm_opt=()
[ "$PROFILE" = dev ] && gemm_opt=(--config 'profile.dev.package.gemm-common.opt-level=3'
    --config 'profile.dev.package.gemm-f16.opt-level=3')
cargo ndk "${ndk_args[@]}" --platform 24 -o "$HERE/src/main/jniLibs" \
    build "${gemm_opt[@]}" -p lsar-ffi --features jni --profile "$PROFILE"

# Bindings from one of the built libraries (identical for every ABI).
out_dir="$PROFILE"
[ "$PROFILE" = dev ] && out_dir=debug
cargo run -p lsar-uniffi-bindgen -- generate \
    "$TARGET_DIR/aarch64-linux-android/$out_dir/liblsar_ffi.so" \
    --language kotlin --out-dir "$HERE/src/main/kotlin" --no-format

for abi in "${ABIS[@]}"; do
    ls -l "$HERE/src/main/jniLibs/$abi/liblsar_ffi.so"
done
echo "now run: (cd android && gradle assembleRelease)"
