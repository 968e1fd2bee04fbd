//! # lsar-ffi
//!
//! The one native library apps link (`liblsar_ffi.so` / `.a`): UniFFI bindings (Kotlin,
//! Swift, Python) over lsar-core, and, behind the `jni` feature, a hand-written JNI fast path
//! for Android camera frames.
//!
//! * [`Localizer`]: open region packs with a descriptor model ([`ModelSource`]); localize a
//!   camera frame read in place ([`FrameInfo`], [`PixelFormat`], [`Rotation`]) with
//!   [`Priors`]; project the pack's POIs ([`Label`]); cancel from another thread
//!   ([`CancelToken`]).
//! * [`RegionPack`]: inspect a pack ([`PackInfo`], [`Bounds`], [`Poi`]).
//! * [`Tracker`]: live AR between visual fixes: sensor frames ([`SensorFrame`]) in, a
//!   displayed pose ([`TrackedPose`]) and stable labels out; fixes from the Localizer
//!   ([`FixResult`]), and when to ask for the next one ([`FixRequest`]).
//! * [`ApiError`]: the one error, mapped once from lsar-core's error in [`error`].
//!
//! Every exported object wraps a core type, is `Send + Sync`, and delegates each method to
//! the core. No panic crosses the boundary: library code cannot panic (workspace lints), and
//! UniFFI's scaffolding catches unwinding and reports it to the caller as an error.
//!
//! Features: `jni` (JNI exports of [`jni`]), `metal` (candle's Metal backend through
//! lsar-core, for Apple targets), `test-hooks` (exports for the binding tests and the
//! overhead benchmark: [`ApiError::Internal`], the arguments of a localize crossing without
//! the work; never enabled in shipped builds).
#![deny(missing_docs)]

uniffi::setup_scaffolding!();

pub mod error;
pub mod frame;
#[cfg(feature = "test-hooks")]
mod hooks;
// The one module with `unsafe`: `#[unsafe(no_mangle)]` JNI exports and one slice over a
// direct ByteBuffer (with its `// SAFETY:` comment). UniFFI's generated scaffolding does not
// trip the `unsafe_code` lint (it comes from an external macro).
#[cfg(feature = "jni")]
#[allow(unsafe_code)]
pub mod jni;
mod localizer;
mod pack;
pub mod records;
mod tracker;

pub use error::{ApiError, NotLocalizedReason};
pub use frame::{FrameInfo, PixelFormat, Rotation, image_from_frame};
#[cfg(feature = "test-hooks")]
pub use hooks::{test_hook_echo_localization, test_hook_internal_error};
pub use localizer::{CancelToken, Localizer, ModelSource};
pub use lsar_core as core;
pub use pack::{Bounds, PackInfo, Poi, RegionPack};
pub use records::{
    CameraRecord, FovPrior, FovSource, GeoPosition, HeadingPrior, Label, Localization,
    OverlayOptions, Priors, Vec3,
};
pub use tracker::{
    FixRejectionReason, FixRequest, FixResult, GpsSample, GyroBias, LabelSettings, RotationSample,
    SensorFrame, TrackedPose, Tracker, TrackerSettings, TrackingMode, VisualFix,
    label_default_settings, tracker_default_settings,
};

/// The version of this library (the workspace version), e.g. to log next to bug reports.
#[uniffi::export]
pub fn lsar_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
