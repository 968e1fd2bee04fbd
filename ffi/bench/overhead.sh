#!/usr/bin/env bash
# Binding-overhead benchmark of lsar-ffi: the same calls on the same 1920x1080 RGBA frame and
# pack, from Rust (examples/bench_overhead.rs), Python/UniFFI (overhead.py), Kotlin/JVM
# UniFFI with a direct ByteBuffer (Overhead.kt) and the Java JNI fast path
# (OverheadJni.java), one process after the other, Rust first and again last (drift).
#   ffi/bench/overhead.sh [localize reps]      (default 15; CARGO_TARGET_DIR honoured)
# Needs what tests/bindings/run.sh needs (python3, kotlinc from npm kotlin-compiler in
# .tools/, java, javac, Debian's libjna-java). Prints `<binding> <op> median_ms=..` lines
# and the load average before and after; ffi/README.md explains the operations.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
REPS="${1:-15}"
LIBDIR="$TARGET/release"
OUT="$TARGET/bench-ffi"
KOTLIN_HOME="$ROOT/.tools/node_modules/kotlin-compiler"
JNA_JAR=/usr/share/java/jna.jar
FEATURES=(--features "lsar-ffi/jni lsar-ffi/test-hooks")

cargo build -q --release -p lsar-ffi -p lsar-uniffi-bindgen "${FEATURES[@]}"
cargo build -q --release -p lsar-ffi "${FEATURES[@]}" --example make_test_scene --example bench_overhead
# The generator reads the library built by the first command; the examples' build may
# rebuild the library with other dependency features, with the same exported API.
for lang in python kotlin; do
    rm -rf "${OUT:?}/$lang"
    "$LIBDIR/uniffi-bindgen" generate "$LIBDIR/liblsar_ffi.so" --language "$lang" --out-dir "$OUT/$lang" --no-format
done
cp "$LIBDIR/liblsar_ffi.so" "$OUT/python/"
[ -f "$OUT/scene/frame1080.rgba" ] || "$LIBDIR/examples/make_test_scene" "$OUT/scene"

mkdir -p "$OUT/kt" "$OUT/jni"
"$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$JNA_JAR" "$OUT/kotlin/uniffi/lsar_ffi/lsar_ffi.kt" \
    ffi/bench/Overhead.kt -d "$OUT/kt/bench.jar"
javac -d "$OUT/jni" android/src/main/java/org/lsar/FrameJni.java \
    tests/bindings/jni/org/lsar/FrameJniHooks.java ffi/bench/OverheadJni.java

echo "load before: $(uptime)"
"$LIBDIR/examples/bench_overhead" "$OUT/scene" "$REPS"
PYTHONPATH="$OUT/python" python3 ffi/bench/overhead.py "$OUT/scene" "$REPS"
java -Djna.library.path="$LIBDIR" -cp "$OUT/kt/bench.jar:$JNA_JAR:$KOTLIN_HOME/lib/kotlin-stdlib.jar" \
    OverheadKt "$OUT/scene" "$REPS"
java -Djava.library.path="$LIBDIR" -cp "$OUT/jni" OverheadJni "$OUT/scene" "$REPS"
"$LIBDIR/examples/bench_overhead" "$OUT/scene" "$REPS"
echo "load after: $(uptime)"
