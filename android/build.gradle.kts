// Android library module of the lsar SDK (AAR): the UniFFI Kotlin bindings (generated into
// src/main/kotlin/uniffi/lsar_ffi/ by build.sh), the Kotlin wrapper org.lsar.LsarLocalizer,
// the JNI fast path org.lsar.FrameJni, and liblsar_ffi.so per ABI in src/main/jniLibs/<abi>/
// (written by build.sh with cargo-ndk). Run ./build.sh before the Gradle build.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

android {
    namespace = "org.lsar"
    compileSdk = 35
    // NDK r28+ links 16 KB-aligned ELF segments by default (Android 15+ devices with 16 KB
    // pages); build.sh also passes -z max-page-size=16384 for older NDKs.
    ndkVersion = "28.0.13004108"

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
        ndk {
            // Must equal the ABIs built by build.sh (checked by ffi/tests/layout.rs).
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    sourceSets["main"].jniLibs.srcDirs("src/main/jniLibs")

    packaging {
        // Store .so files uncompressed and page-aligned in the APK (mmap-able, 16 KB safe).
        jniLibs.useLegacyPackaging = false
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // UniFFI's Kotlin bindings call the library through JNA; the AAR ships libjnidispatch.so.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}
