//! # lsar-ffi
//!
//! The one native library apps link: UniFFI bindings (Kotlin, Swift, Python) over lsar-core
//! and a hand-written JNI fast path for camera frames. Each exported object will wrap a core
//! type and delegate in one line; errors map once to a small error an app can act on.
//! Nothing is exported yet: the bindings issue builds this crate.
#![deny(missing_docs)]

pub use lsar_core as core;
