//! `uniffi-bindgen` for lsar-ffi: generates Kotlin, Swift and Python bindings from the built
//! library (library mode), e.g.
//! `cargo run -p lsar-uniffi-bindgen -- generate target/debug/liblsar_ffi.so --language python --out-dir out`.

fn main() {
    uniffi::uniffi_bindgen_main();
}
