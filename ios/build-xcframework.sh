#!/usr/bin/env bash
# Builds ios/LsarFFI.xcframework (device + simulator static libraries with the UniFFI C
# header and module map) and generates the Swift bindings into Sources/Lsar/lsar_ffi.swift.
# Runs on macOS with Xcode:  ios/build-xcframework.sh [profile]  (default small-release)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PROFILE="${1:-small-release}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
DEVICE=aarch64-apple-ios
SIMULATORS=(aarch64-apple-ios-sim x86_64-apple-ios)
XCFRAMEWORK="$HERE/LsarFFI.xcframework" # Package.swift: .binaryTarget(path: "LsarFFI.xcframework")
GEN="$TARGET_DIR/swift-bindings"

command -v xcodebuild >/dev/null || { echo "error: needs Xcode (xcodebuild)" >&2; exit 1; }
rustup target add "$DEVICE" "${SIMULATORS[@]}"
cd "$ROOT"
for t in "$DEVICE" "${SIMULATORS[@]}"; do
    # `metal`: candle's Metal backend (lsar-core -> lsar-vision), on device and simulators.
    cargo build --lib -p lsar-ffi --features metal --profile "$PROFILE" --target "$t"
done
mkdir -p "$TARGET_DIR/ios-sim"
lipo -create "$TARGET_DIR/aarch64-apple-ios-sim/$PROFILE/liblsar_ffi.a" \
    "$TARGET_DIR/x86_64-apple-ios/$PROFILE/liblsar_ffi.a" \
    -output "$TARGET_DIR/ios-sim/liblsar_ffi.a"

rm -rf "$GEN" && mkdir -p "$GEN/headers"
cargo run -p lsar-uniffi-bindgen -- generate "$TARGET_DIR/$DEVICE/$PROFILE/liblsar_ffi.a" \
    --language swift --out-dir "$GEN" --no-format
cp "$GEN/lsar_ffiFFI.h" "$GEN/headers/"
# SwiftPM/Xcode look for module.modulemap; it declares `module lsar_ffiFFI`, which
# lsar_ffi.swift imports.
cp "$GEN/lsar_ffiFFI.modulemap" "$GEN/headers/module.modulemap"
cp "$GEN/lsar_ffi.swift" "$HERE/Sources/Lsar/lsar_ffi.swift"

rm -rf "$XCFRAMEWORK"
xcodebuild -create-xcframework \
    -library "$TARGET_DIR/$DEVICE/$PROFILE/liblsar_ffi.a" -headers "$GEN/headers" \
    -library "$TARGET_DIR/ios-sim/liblsar_ffi.a" -headers "$GEN/headers" \
    -output "$XCFRAMEWORK"
echo "built $XCFRAMEWORK; now: (cd ios && swift build) or add the package in Xcode"
