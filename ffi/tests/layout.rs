//! Checks that the names shared by the Rust crate, the Android module and the iOS package
//! agree (no Gradle, NDK or Xcode on CI: these files are correct by construction, and this
//! test keeps them consistent): library name, ABIs, JNI symbols, package paths, keep rules,
//! XCFramework and module-map names, 16 KB page alignment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The quoted strings of the first line containing `key`, e.g. a list of ABIs.
fn quoted_on_line(text: &str, key: &str) -> Vec<String> {
    let line = text.lines().find(|l| l.contains(key)).unwrap_or_else(|| panic!("no {key}"));
    line.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn library_name_agrees_everywhere() {
    let cargo = read("ffi/Cargo.toml");
    assert!(cargo.contains("name = \"lsar_ffi\""), "lib name in ffi/Cargo.toml");
    assert!(cargo.contains("\"cdylib\"") && cargo.contains("\"staticlib\""));
    assert!(
        read("android/src/main/java/org/lsar/FrameJni.java").contains("loadLibrary(\"lsar_ffi\")")
    );
    assert!(read("android/build.sh").contains("liblsar_ffi.so"));
    assert!(read("ios/build-xcframework.sh").contains("liblsar_ffi.a"));
    // uniffi versions pinned equal in the library and the generator.
    let pin = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("uniffi"))
            .map(|l| l.split('"').nth(1).unwrap_or("").to_owned())
    };
    assert_eq!(pin(&cargo), pin(&read("ffi/uniffi-bindgen/Cargo.toml")));
}

#[test]
fn android_abis_layout_and_alignment_agree() {
    let gradle = read("android/build.gradle.kts");
    let script = read("android/build.sh");
    let gradle_abis = quoted_on_line(&gradle, "abiFilters");
    let script_abis: Vec<String> = script
        .lines()
        .find(|l| l.starts_with("ABIS=("))
        .unwrap()
        .trim_start_matches("ABIS=(")
        .trim_end_matches(')')
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(gradle_abis, script_abis);
    for abi in &gradle_abis {
        assert!(["arm64-v8a", "armeabi-v7a", "x86_64", "x86"].contains(&abi.as_str()), "{abi}");
    }
    assert!(script.contains("-o \"$HERE/src/main/jniLibs\""), "cargo-ndk writes jniLibs/<abi>/");
    assert!(gradle.contains("src/main/jniLibs"));
    assert!(script.contains("max-page-size=16384"), "16 KB page alignment");
    assert!(script.contains("--features jni"), "the AAR carries the JNI fast path");
    assert!(script.contains("--out-dir \"$HERE/src/main/kotlin\""));
    assert!(root().join("android/src/main/AndroidManifest.xml").is_file());
    assert!(gradle.contains("consumerProguardFiles(\"consumer-rules.pro\")"));
    assert!(gradle.contains("namespace = \"org.lsar\""));
}

#[test]
fn keep_rules_cover_jna_bindings_and_jni() {
    let rules = read("android/consumer-rules.pro");
    for keep in ["com.sun.jna.**", "uniffi.lsar_ffi.**", "org.lsar.FrameJni"] {
        assert!(rules.contains(keep), "consumer-rules.pro misses {keep}");
    }
}

#[test]
fn jni_symbols_match_the_java_classes() {
    let rust = read("ffi/src/jni.rs");
    for (file, class, at_least) in [
        ("android/src/main/java/org/lsar/FrameJni.java", "FrameJni", 5),
        ("tests/bindings/jni/org/lsar/FrameJniHooks.java", "FrameJniHooks", 2),
    ] {
        let java = read(file);
        assert!(java.starts_with("package org.lsar;"), "{file}");
        let natives: Vec<&str> = java
            .split("native ")
            .skip(1)
            .filter_map(|s| s.split('(').next()?.split_whitespace().last())
            .collect();
        assert!(natives.len() >= at_least, "{natives:?}");
        for name in natives {
            let symbol = format!("Java_org_lsar_{class}_{name}");
            assert!(rust.contains(&symbol), "{symbol} missing in ffi/src/jni.rs");
        }
    }
}

#[test]
fn cross_builds_and_ios_enable_their_features() {
    let cross = read("ffi/cross-check.sh");
    assert!(cross.contains("*android*) features=(--features jni)"));
    assert!(cross.contains("*apple*) features=(--features metal)"));
    assert!(cross.contains("--crate-type staticlib") && cross.contains("cargo tree"));
    assert!(read(".ci/run").contains("bash ffi/cross-check.sh"));
    assert!(read("ios/build-xcframework.sh").contains("--features metal"));
    let engine = read("core/engine/Cargo.toml");
    assert!(engine.contains("metal = [\"lsar-vision/metal\"]"));
    assert!(read("ffi/Cargo.toml").contains("metal = [\"lsar-core/metal\"]"));
}

#[test]
fn kotlin_wrapper_paths_and_imports() {
    for file in ["LsarLocalizer.kt", "LsarLocalizerAsync.kt"] {
        let kt = read(&format!("android/src/main/kotlin/org/lsar/{file}"));
        assert!(kt.starts_with("package org.lsar"), "{file}");
        assert!(kt.contains("import uniffi.lsar_ffi."), "{file}");
    }
    let sync = read("android/src/main/kotlin/org/lsar/LsarLocalizer.kt");
    assert!(sync.contains(": AutoCloseable") && sync.contains("override fun close()"));
    assert!(read("android/src/main/kotlin/org/lsar/LsarLocalizerAsync.kt").contains("suspend fun"));
}

#[test]
fn ios_package_script_and_wrapper_agree() {
    let package = read("ios/Package.swift");
    let script = read("ios/build-xcframework.sh");
    assert!(package.contains(".binaryTarget(name: \"LsarFFI\", path: \"LsarFFI.xcframework\")"));
    assert!(
        package.contains("dependencies: [\"LsarFFI\"]")
            && package.contains("path: \"Sources/Lsar\"")
    );
    assert!(script.contains("XCFRAMEWORK=\"$HERE/LsarFFI.xcframework\""));
    assert!(script.contains("\"$GEN/headers/module.modulemap\""), "module map renamed");
    assert!(script.contains("\"$HERE/Sources/Lsar/lsar_ffi.swift\""));
    for t in ["aarch64-apple-ios", "aarch64-apple-ios-sim", "x86_64-apple-ios"] {
        assert!(script.contains(t), "{t}");
    }
    let swift = read("ios/Sources/Lsar/LsarLocalizer.swift");
    assert!(swift.contains("Localizer.open(") && swift.contains("withTaskCancellationHandler"));
}
