//! The one public error of the SDK, [`ApiError`], and the one place where lsar-core's
//! [`CoreError`] and failed localizations map to it.
//!
//! Each variant names something an app can act on: download the pack again
//! ([`ApiError::PackMissing`], [`ApiError::PackInvalid`]), ship the model the pack was built
//! with ([`ApiError::ModelMismatch`]), ask the user to point the camera elsewhere or wait for
//! a better GPS fix ([`ApiError::NotLocalized`]), fix the call ([`ApiError::InvalidInput`]),
//! or report a bug ([`ApiError::Internal`]). Messages come from the core's error messages,
//! which carry no coordinates, file paths or user data.

use lsar_core::CoreError;
use lsar_core::localizer::Reason;
use lsar_core::pack::PackError;
use lsar_core::vision::VisionError;

/// Why a photo was not localized: lsar-core's `Reason` as values an app can branch on. Its
/// text is not repeated here: [`ApiError::NotLocalized`] carries the core's message.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum NotLocalizedReason {
    /// No region pack covers the GPS position.
    OutsidePacks,
    /// No pack viewpoint lies within the search radius (metres) of the GPS position.
    NoViewpointsNear {
        /// Search radius in metres.
        radius_m: f64,
    },
    /// No pack view looks in the direction of the heading prior.
    NoViewsInHeading,
    /// The photo has too few features (sky, fog, a blank wall).
    TooFewFeatures {
        /// Features found.
        found: u64,
        /// Features required.
        required: u64,
    },
    /// Too few descriptor matches with the pack.
    TooFewMatches {
        /// Matches found.
        found: u64,
        /// Matches required.
        required: u64,
    },
    /// No pose agrees with enough matches.
    NoConsensus {
        /// Inliers of the best pose.
        inliers: u64,
        /// Inliers required.
        required: u64,
    },
    /// The call was cancelled through its [`crate::CancelToken`].
    Cancelled,
    /// A reason this version of the bindings does not know.
    Other,
}

impl From<&Reason> for NotLocalizedReason {
    fn from(r: &Reason) -> Self {
        let n = |x: usize| x as u64;
        match r {
            Reason::OutsidePacks => Self::OutsidePacks,
            Reason::NoViewpointsNear { radius_m } => Self::NoViewpointsNear { radius_m: *radius_m },
            Reason::NoViewsInHeading => Self::NoViewsInHeading,
            Reason::TooFewFeatures { found, required } => {
                Self::TooFewFeatures { found: n(*found), required: n(*required) }
            }
            Reason::TooFewMatches { found, required } => {
                Self::TooFewMatches { found: n(*found), required: n(*required) }
            }
            Reason::NoConsensus { inliers, required } => {
                Self::NoConsensus { inliers: n(*inliers), required: n(*required) }
            }
            Reason::Cancelled => Self::Cancelled,
            #[allow(unreachable_patterns)] // Reason may grow variants
            _ => Self::Other,
        }
    }
}

/// The error of every fallible SDK call.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// A region pack file does not exist or cannot be read: download it (again).
    #[error("region pack missing: {detail}")]
    PackMissing {
        /// What went wrong (no paths).
        detail: String,
    },
    /// A region pack is damaged, truncated or of an unsupported format: download it again.
    #[error("region pack invalid: {detail}")]
    PackInvalid {
        /// What is wrong with the file.
        detail: String,
    },
    /// The descriptor model does not match the pack, or its weights do not load.
    #[error("descriptor model mismatch: {detail}")]
    ModelMismatch {
        /// Which model ids disagree, or what is wrong with the weights.
        detail: String,
    },
    /// The photo was not localized (a normal outcome, not a bug).
    #[error("not localized: {detail}")]
    NotLocalized {
        /// Why, to act on (e.g. ask the user to wait for a better GPS fix).
        reason: NotLocalizedReason,
        /// Why, as text (lsar-core's message for the reason).
        detail: String,
    },
    /// An argument is not usable (frame size, stride, NaN prior, bad record).
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// Which input and what is wrong with it.
        detail: String,
    },
    /// A bug in lsar: please report it.
    #[error("internal error: {detail}")]
    Internal {
        /// What failed.
        detail: String,
    },
}

impl ApiError {
    /// An [`ApiError::InvalidInput`] with a fixed message.
    pub(crate) fn input(detail: &str) -> Self {
        Self::InvalidInput { detail: detail.to_owned() }
    }
}

impl ApiError {
    /// [`ApiError::NotLocalized`] for a core reason: the value to act on and the core's text.
    pub(crate) fn not_localized(reason: &Reason) -> Self {
        Self::NotLocalized { reason: reason.into(), detail: reason.to_string() }
    }
}

impl From<CoreError> for ApiError {
    /// The one mapping from the core's error (see the module docs).
    fn from(e: CoreError) -> Self {
        let detail = e.to_string();
        match e {
            CoreError::InvalidInput { .. } | CoreError::NoPacks => Self::InvalidInput { detail },
            // The core's text starts with the same words as this variant's message.
            CoreError::ModelMismatch { pack_model, model } => Self::ModelMismatch {
                detail: format!("pack built with `{pack_model}`, localizer uses `{model}`"),
            },
            CoreError::Pack { source } => match source {
                PackError::Io { source, .. }
                    if matches!(
                        source.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) =>
                {
                    Self::PackMissing { detail }
                }
                PackError::ModelMismatch { .. } => Self::ModelMismatch { detail },
                PackError::InvalidInput { .. } => Self::InvalidInput { detail },
                _ => Self::PackInvalid { detail },
            },
            CoreError::Vision { source } => match source {
                VisionError::MissingTensor { .. }
                | VisionError::TensorShape { .. }
                | VisionError::WeightFormat { .. }
                | VisionError::Dimension { .. } => Self::ModelMismatch { detail },
                VisionError::Decode { .. }
                | VisionError::EmptyImage { .. }
                | VisionError::BufferSize { .. }
                | VisionError::Channels { .. }
                | VisionError::ImageTooSmall { .. }
                | VisionError::InvalidParameter { .. }
                | VisionError::Io { .. } => Self::InvalidInput { detail },
                _ => Self::Internal { detail },
            },
            _ => Self::Internal { detail },
        }
    }
}

/// lsar-core's `Outcome` as the SDK's result: a failed localization is
/// [`ApiError::NotLocalized`].
pub(crate) fn outcome<T>(
    outcome: lsar_core::Result<lsar_core::Outcome>,
    convert: impl FnOnce(lsar_core::Localization) -> T,
) -> Result<T, ApiError> {
    match outcome? {
        Ok(loc) => Ok(convert(loc)),
        Err(failed) => Err(ApiError::not_localized(&failed.reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_actionable_variants() {
        let missing = CoreError::Pack {
            source: PackError::Io { op: "open", source: std::io::ErrorKind::NotFound.into() },
        };
        assert!(matches!(ApiError::from(missing), ApiError::PackMissing { .. }));
        let bad = CoreError::Pack { source: PackError::BadMagic };
        assert!(matches!(ApiError::from(bad), ApiError::PackInvalid { .. }));
        let model = CoreError::ModelMismatch { pack_model: "a".into(), model: "b".into() };
        assert!(matches!(ApiError::from(model), ApiError::ModelMismatch { .. }));
        let input = CoreError::InvalidInput { what: "x" };
        assert!(matches!(ApiError::from(input), ApiError::InvalidInput { .. }));
        let geo = CoreError::Geometry {
            source: lsar_core::geometry::GeometryError::NonFinite { what: "x" },
        };
        assert!(matches!(ApiError::from(geo), ApiError::Internal { .. }));
    }

    #[test]
    fn not_localized_carries_the_reason_and_the_core_message() {
        let reasons = [
            (Reason::OutsidePacks, NotLocalizedReason::OutsidePacks),
            (
                Reason::NoViewpointsNear { radius_m: 150.0 },
                NotLocalizedReason::NoViewpointsNear { radius_m: 150.0 },
            ),
            (Reason::NoViewsInHeading, NotLocalizedReason::NoViewsInHeading),
            (
                Reason::TooFewFeatures { found: 7, required: 30 },
                NotLocalizedReason::TooFewFeatures { found: 7, required: 30 },
            ),
            (
                Reason::TooFewMatches { found: 3, required: 12 },
                NotLocalizedReason::TooFewMatches { found: 3, required: 12 },
            ),
            (
                Reason::NoConsensus { inliers: 9, required: 15 },
                NotLocalizedReason::NoConsensus { inliers: 9, required: 15 },
            ),
            (Reason::Cancelled, NotLocalizedReason::Cancelled),
        ];
        for (core, ffi) in reasons {
            let e = ApiError::not_localized(&core);
            let ApiError::NotLocalized { reason, detail } = &e else {
                panic!("not NotLocalized: {e:?}");
            };
            assert_eq!(reason, &ffi);
            assert_eq!(detail, &core.to_string());
            assert_eq!(e.to_string(), format!("not localized: {core}"));
        }
    }
}
