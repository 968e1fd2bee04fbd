//! The descriptor a pack is built with and its identity (model id and SHA-256 of the weights
//! file), matching the Localizer's check: the learned network and HardTFeat are identified by
//! the SHA-256 of their weights file's bytes, the weightless SIFT-like baseline by the id
//! [`SIFT_MODEL_ID`] and an all-zero hash.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use lsar_pack::ModelId;
use lsar_vision::descriptor::weights;
use lsar_vision::{
    Branch, Config, Descriptor, DescriptorNet, Descriptors, HardTFeat, Patches, SiftDescriptor,
};
use sha2::{Digest, Sha256};

use super::error::{PackBuildError, Result};

/// Model id of packs built with the SIFT-like baseline (the Localizer's `SIFT_MODEL_ID`).
pub const SIFT_MODEL_ID: &str = "sift-baseline";
/// Model id of packs built with HardTFeat.
pub const HARDTFEAT_MODEL_ID: &str = "hardtfeat";
/// Model id of packs built with the learned network when the caller gives none.
pub const LEARNED_MODEL_ID: &str = "landscapear";

/// Which descriptor describes the rendered patches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescriptorChoice {
    /// The LandscapeAR two-branch network from a safetensors file; the render branch.
    Learned {
        /// The weights file.
        weights: PathBuf,
    },
    /// The network shipped with lsar, embedded in the binary ([`crate::default_model`]),
    /// under its own id.
    Shipped,
    /// The SIFT-like baseline (no weights).
    Sift,
    /// HardTFeat from its `.npz` weights file.
    HardTFeat {
        /// The weights file.
        npz: PathBuf,
    },
}

impl DescriptorChoice {
    /// A short name: `learned`, `sift` or `hardtfeat`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Learned { .. } | Self::Shipped => "learned",
            Self::Sift => "sift",
            Self::HardTFeat { .. } => "hardtfeat",
        }
    }
}

/// A loaded descriptor with the identity it stamps on the pack.
#[derive(Debug)]
pub struct Describer {
    model: ModelId,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Learned(Box<DescriptorNet>),
    Sift(SiftDescriptor),
    HardTFeat(Box<HardTFeat>),
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| PackBuildError::Read { path: path.to_path_buf(), source })
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Describer {
    /// Loads the descriptor (CPU, f32). `model_id` overrides the learned network's id.
    ///
    /// # Errors
    /// [`PackBuildError::Read`] when the weights cannot be read, [`PackBuildError::Vision`]
    /// when they do not load.
    pub fn load(choice: &DescriptorChoice, model_id: Option<&str>) -> Result<Self> {
        Ok(match choice {
            DescriptorChoice::Learned { weights: path } => {
                let bytes = read(path)?;
                let net =
                    weights::load_from_bytes(&Config::default(), &bytes, DType::F32, &Device::Cpu)?;
                let id = model_id.unwrap_or(LEARNED_MODEL_ID);
                Self {
                    model: ModelId::new(id, sha256(&bytes)),
                    inner: Inner::Learned(Box::new(net)),
                }
            }
            DescriptorChoice::Shipped => {
                let bytes = crate::default_model::MODEL_BYTES;
                let net =
                    weights::load_from_bytes(&Config::default(), bytes, DType::F32, &Device::Cpu)?;
                let id = model_id.unwrap_or(crate::default_model::MODEL_ID);
                Self {
                    model: ModelId::new(id, sha256(bytes)),
                    inner: Inner::Learned(Box::new(net)),
                }
            }
            DescriptorChoice::Sift => Self {
                model: ModelId::new(SIFT_MODEL_ID, [0; 32]),
                inner: Inner::Sift(SiftDescriptor::default()),
            },
            DescriptorChoice::HardTFeat { npz } => {
                let bytes = read(npz)?;
                let net = HardTFeat::from_npz_bytes(&bytes, &Device::Cpu)?;
                Self {
                    model: ModelId::new(HARDTFEAT_MODEL_ID, sha256(&bytes)),
                    inner: Inner::HardTFeat(Box::new(net)),
                }
            }
        })
    }

    /// The identity stored in the pack.
    pub fn model(&self) -> &ModelId {
        &self.model
    }

    /// Values per descriptor.
    pub fn dim(&self) -> usize {
        match &self.inner {
            Inner::Learned(n) => n.branch(Branch::Render).dim(),
            Inner::Sift(s) => s.dim(),
            Inner::HardTFeat(h) => h.dim(),
        }
    }

    /// Describes 64x64 RGB FOV-normalised patches of rendered views, one unit row each.
    ///
    /// # Errors
    /// The descriptor's errors.
    pub fn describe(&self, patches: &Patches) -> Result<Descriptors> {
        Ok(match &self.inner {
            Inner::Learned(n) => n.branch(Branch::Render).describe(patches)?,
            Inner::Sift(s) => s.describe(patches)?,
            Inner::HardTFeat(h) => h.describe(patches)?,
        })
    }
}
