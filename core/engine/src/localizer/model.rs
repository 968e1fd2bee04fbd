//! The descriptor a localizer describes query patches with, and its identity check against
//! the region pack (a pack built with another descriptor is refused with a typed error).
//!
//! Identity: the learned network and HardTFeat are identified by the SHA-256 of their weights
//! file bytes (the pack stores the hash of the weights that built it); the SIFT-like baseline
//! has no weights, so a pack built with it carries the id [`SIFT_MODEL_ID`] and an all-zero
//! hash.

use candle_core::DType;
use lsar_pack::ModelId;
use lsar_vision::descriptor::weights;
use lsar_vision::{Branch, Config, Descriptor, DescriptorNet, Descriptors, HardTFeat, Patches};
use lsar_vision::{SiftDescriptor, VisionError, select_device};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

/// Model id of packs built with the SIFT-like baseline descriptor.
pub const SIFT_MODEL_ID: &str = "sift-baseline";

/// Which descriptor describes the query photo.
#[derive(Clone)]
pub enum DescriptorModel {
    /// The LandscapeAR two-branch network: safetensors bytes (F32 or F16); the photo branch
    /// is used. The pack's model hash must be the SHA-256 of these bytes.
    Learned {
        /// The safetensors file's bytes.
        weights: Vec<u8>,
    },
    /// The SIFT-like baseline (no weights); the pack's model id must be [`SIFT_MODEL_ID`].
    Sift,
    /// HardTFeat: the bytes of `hardtfeat.npz`; the pack's model hash must be their SHA-256.
    HardTFeat {
        /// The npz file's bytes.
        npz: Vec<u8>,
    },
}

impl std::fmt::Debug for DescriptorModel {
    /// The kind and the start of the weights hash (never the weights themselves).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hash: String = self.sha256().iter().take(6).map(|b| format!("{b:02x}")).collect();
        write!(f, "DescriptorModel::{}({hash})", self.kind())
    }
}

impl DescriptorModel {
    /// The learned network from a safetensors file.
    ///
    /// # Errors
    /// [`CoreError::Vision`] (I/O) when the file cannot be read.
    pub fn learned_from_file(path: &std::path::Path) -> Result<Self> {
        let weights = std::fs::read(path).map_err(VisionError::from)?;
        Ok(Self::Learned { weights })
    }

    /// SHA-256 of the weights (all zero for the SIFT baseline).
    pub fn sha256(&self) -> [u8; 32] {
        match self {
            Self::Learned { weights: bytes } | Self::HardTFeat { npz: bytes } => {
                Sha256::digest(bytes).into()
            }
            Self::Sift => [0; 32],
        }
    }

    /// A short name for messages: `learned`, `sift` or `hardtfeat`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Learned { .. } => "learned",
            Self::Sift => "sift",
            Self::HardTFeat { .. } => "hardtfeat",
        }
    }

    /// Checks that a pack built with `pack_model` can be queried with this descriptor.
    ///
    /// # Errors
    /// [`CoreError::ModelMismatch`].
    pub fn check_pack(&self, pack_model: &ModelId) -> Result<()> {
        let ok = match self {
            Self::Sift => pack_model.id == SIFT_MODEL_ID && pack_model.sha256 == [0; 32],
            _ => pack_model.id != SIFT_MODEL_ID && pack_model.sha256 == self.sha256(),
        };
        if ok {
            return Ok(());
        }
        let hash = self.sha256();
        let short: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let mut pack_short = pack_model.sha256_hex();
        pack_short.truncate(12);
        Err(CoreError::ModelMismatch {
            pack_model: format!("{} ({pack_short})", pack_model.id),
            model: format!("{} ({short})", self.kind()),
        })
    }

    /// Loads the weights into a ready describer (F32) on [`lsar_vision::select_device`]: the
    /// CPU (and its fast inference path) unless the `cuda` or `metal` feature finds a GPU.
    ///
    /// # Errors
    /// [`CoreError::Vision`] for weights that do not load.
    pub(crate) fn load(&self) -> Result<Describer> {
        Ok(match self {
            Self::Learned { weights: bytes } => Describer::Learned(Box::new(
                weights::load_from_bytes(&Config::default(), bytes, DType::F32, &select_device())?,
            )),
            Self::Sift => Describer::Sift(SiftDescriptor::default()),
            Self::HardTFeat { npz } => {
                Describer::HardTFeat(Box::new(HardTFeat::from_npz_bytes(npz, &select_device())?))
            }
        })
    }
}

/// A loaded descriptor (photo side).
#[derive(Debug)]
pub(crate) enum Describer {
    /// The two-branch network; the photo branch describes queries.
    Learned(Box<DescriptorNet>),
    /// The SIFT-like baseline.
    Sift(SiftDescriptor),
    /// HardTFeat.
    HardTFeat(Box<HardTFeat>),
}

impl Describer {
    /// Describes 64x64 FOV-normalised patches (RGB or grey), one unit row per patch.
    pub(crate) fn describe(&self, patches: &Patches) -> Result<Descriptors> {
        Ok(match self {
            Self::Learned(net) => net.branch(Branch::Photo).describe(patches)?,
            Self::Sift(s) => s.describe(patches)?,
            Self::HardTFeat(h) => h.describe(patches)?,
        })
    }

    /// Whether patches must be RGB (the network); SIFT and HardTFeat take grey or RGB.
    pub(crate) fn wants_rgb(&self) -> bool {
        matches!(self, Self::Learned(_))
    }

    /// Descriptor length.
    pub(crate) fn dim(&self) -> usize {
        match self {
            Self::Learned(net) => net.config().descriptor_dim,
            Self::Sift(s) => s.dim(),
            Self::HardTFeat(h) => h.dim(),
        }
    }
}
