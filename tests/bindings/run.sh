#!/usr/bin/env bash
# Binding tests of lsar-ffi on the host: Python (pytest), Kotlin/JVM (generated bindings +
# the Android wrapper's synchronous core, JNA), Java/JNI (the `jni` fast path), plus a
# syntax check of the Swift C header.
#
#   tests/bindings/run.sh            # uses what is installed, skips the rest loudly
#   CI=true tests/bindings/run.sh    # first installs what is missing (apt-get, npm, pip)
#
# Environment: CARGO_TARGET_DIR (default target), LSAR_BINDINGS_PROFILE (debug|release,
# default debug: the synthetic scene localizes in seconds unoptimised, and CI reuses the
# debug build of `cargo test`). Exit status: non-zero when a
# test fails; a language whose toolchain cannot be installed is skipped with a banner.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${LSAR_BINDINGS_PROFILE:-debug}"
PROFILE_FLAG=()
[ "$PROFILE" = release ] && PROFILE_FLAG=(--release)
LIBDIR="$TARGET/$PROFILE"
OUT="$TARGET/bindings"
KOTLIN_HOME="$ROOT/.tools/node_modules/kotlin-compiler"
JNA_JAR=/usr/share/java/jna.jar
COROUTINES_JAR=/usr/share/java/kotlinx-coroutines-core.jar
ATOMICFU_JAR=/usr/share/java/atomicfu.jar
FEATURES=(--features "lsar-ffi/jni lsar-ffi/test-hooks")
failed=()
skipped=()

skip() { # loud, but not a failure
    skipped+=("$1")
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
    printf '!!! SKIPPED: %s\n!!! reason: %s\n' "$1" "$2"
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
}
step() { printf '\n=== %s\n' "$1"; }

if [ "${CI:-}" = true ]; then
    step "installing missing toolchains (CI=true)"
    python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest || true
    pkgs=()
    command -v javac >/dev/null || pkgs+=(openjdk-17-jdk-headless)
    [ -f "$JNA_JAR" ] || pkgs+=(libjna-java)
    [ -f "$COROUTINES_JAR" ] || pkgs+=(libkotlinx-coroutines-java)
    [ -f "$ATOMICFU_JAR" ] || pkgs+=(libkotlinx-atomicfu-java)
    if [ "${#pkgs[@]}" -gt 0 ]; then
        SUDO=""
        [ "$(id -u)" -ne 0 ] && SUDO=sudo
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${pkgs[@]}"; } || true
    fi
    [ -x "$KOTLIN_HOME/bin/kotlinc" ] || npm install --prefix "$ROOT/.tools" kotlin-compiler@2.4.20 || true
fi

step "building liblsar_ffi ($PROFILE, features jni,test-hooks), the generator and the test scene"
# One invocation for both: building the generator alone unifies features differently and
# rebuilds ~40 crates.
cargo build -p lsar-ffi -p lsar-uniffi-bindgen "${FEATURES[@]}" "${PROFILE_FLAG[@]}"
LIB="$LIBDIR/liblsar_ffi.so"
[ "$(uname)" = Darwin ] && LIB="$LIBDIR/liblsar_ffi.dylib"
for lang in python kotlin swift; do
    rm -rf "${OUT:?}/$lang"
    "$LIBDIR/uniffi-bindgen" generate "$LIB" --language "$lang" --out-dir "$OUT/$lang" --no-format
done
cargo run -q -p lsar-ffi "${FEATURES[@]}" "${PROFILE_FLAG[@]}" --example make_test_scene -- "$OUT/scene"

step "Python"
if python3 -m pytest --version >/dev/null 2>&1; then
    cp "$LIB" "$OUT/python/"
    PYTHONPATH="$OUT/python" LSAR_TEST_SCENE="$OUT/scene" \
        python3 -m pytest -q -p no:cacheprovider tests/bindings/python || failed+=(python)
else
    skip python "pytest not installed (python3 -m pip install pytest)"
fi

step "Kotlin/JVM"
if [ -x "$KOTLIN_HOME/bin/kotlinc" ] && command -v java >/dev/null && [ -f "$JNA_JAR" ]; then
    KT_CP="$OUT/kt/app.jar:$JNA_JAR:$KOTLIN_HOME/lib/kotlin-stdlib.jar"
    mkdir -p "$OUT/kt"
    if "$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$JNA_JAR" \
        "$OUT/kotlin/uniffi/lsar_ffi/lsar_ffi.kt" android/src/main/kotlin/org/lsar/LsarLocalizer.kt \
        tests/bindings/kotlin/Main.kt tests/bindings/kotlin/TrackerCheck.kt -d "$OUT/kt/app.jar"; then
        java -Djna.library.path="$LIBDIR" -cp "$KT_CP" MainKt "$OUT/scene" || failed+=(kotlin)
        java -Djna.library.path="$LIBDIR" -cp "$KT_CP" trackercheck.TrackerCheckKt "$OUT/scene" \
            || failed+=(kotlin-tracker)
    else
        failed+=(kotlin-compile)
    fi
    if [ -f "$COROUTINES_JAR" ] && [ -f "$ATOMICFU_JAR" ] && "$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$OUT/kt/app.jar:$JNA_JAR:$COROUTINES_JAR" \
        android/src/main/kotlin/org/lsar/LsarLocalizerAsync.kt tests/bindings/kotlin/AsyncCheck.kt \
        -d "$OUT/kt/async.jar" 2>"$OUT/kt/async.log"; then
        java -Djna.library.path="$LIBDIR" -cp "$OUT/kt/async.jar:$KT_CP:$COROUTINES_JAR:$ATOMICFU_JAR" AsyncCheckKt "$OUT/scene" \
            || failed+=(kotlin-async)
    else
        skip "Kotlin suspend wrapper (LsarLocalizerAsync.kt)" \
            "kotlinx-coroutines/atomicfu missing or too old to compile against ($(head -c 300 "$OUT/kt/async.log" 2>/dev/null))"
    fi
else
    skip Kotlin/JVM "needs $KOTLIN_HOME/bin/kotlinc (npm kotlin-compiler@2.4.20), java and $JNA_JAR"
fi

step "Java/JNI"
if command -v javac >/dev/null; then
    rm -rf "$OUT/jni" && mkdir -p "$OUT/jni"
    # sun.nio.ch.DirectBuffer gives the test the buffer's address (the no-copy check).
    exports=(--add-exports java.base/sun.nio.ch=ALL-UNNAMED)
    javac "${exports[@]}" -d "$OUT/jni" android/src/main/java/org/lsar/FrameJni.java \
        tests/bindings/jni/org/lsar/FrameJniHooks.java tests/bindings/jni/JniTest.java
    java "${exports[@]}" -Djava.library.path="$LIBDIR" -cp "$OUT/jni" JniTest "$OUT/scene" || failed+=(jni)
else
    skip Java/JNI "javac not installed (openjdk-17-jdk-headless)"
fi

step "Swift C header (syntax only: no Swift toolchain on Linux CI)"
if command -v cc >/dev/null; then
    cc -fsyntax-only -D_Nullable= -D_Nonnull= -include stdint.h -include stdbool.h -x c \
        "$OUT/swift/lsar_ffiFFI.h" || failed+=(swift-header)
else
    skip "Swift header" "no C compiler"
fi

printf '\n=== binding tests: failed [%s], skipped [%s]\n' "${failed[*]:-}" "${skipped[*]:-}"
[ "${#failed[@]}" -eq 0 ]
