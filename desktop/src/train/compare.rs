//! Side-by-side validation of descriptors on the same pairs: FPR95 and top-1 photo -> render
//! accuracy ([`super::metrics`]) for any [`Descriptor`] pair (photo side, render side), so the
//! trained network, the untrained network, the SIFT-like baseline and HardTFeat are measured
//! on identical patches.

use lsar_vision::{Descriptor, Patches};

use super::error::Result;
use super::metrics::{MetricConfig, Metrics, evaluate};
use crate::dataset::{PairDataset, PatchSet};

/// One descriptor under comparison: the photo side describes `PhotoA` patches, the render
/// side `RenderB` patches (the same object for single-domain descriptors).
pub struct Contender<'a> {
    /// Row name in the table.
    pub name: String,
    /// Describes the photo-style patches.
    pub photo: &'a dyn Descriptor,
    /// Describes the render-style patches.
    pub render: &'a dyn Descriptor,
}

impl std::fmt::Debug for Contender<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contender").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The patches of samples `idx` of one set as [`Patches`] (RGB, values in `[0, 1]`).
///
/// # Errors
/// Data errors for an index past the end; vision errors for an empty patch size.
pub fn patches_of(data: &PairDataset, set: PatchSet, idx: &[usize]) -> Result<Patches> {
    let s = data.patch_size();
    let mut v = Vec::with_capacity(idx.len() * 3 * s * s);
    for &i in idx {
        let p = data.patch(set, i).ok_or_else(|| super::TrainError::InvalidParameter {
            name: "index",
            reason: format!("sample {i} of {}", data.len()),
        })?;
        v.extend(p.iter().map(|&b| f32::from(b) / 255.0));
    }
    Ok(Patches::new(s, 3, v)?)
}

/// Metrics of every contender on the samples `idx` of `data`, in order.
///
/// # Errors
/// Data errors; descriptor errors (e.g. a descriptor for another patch size).
pub fn compare(
    data: &PairDataset,
    idx: &[usize],
    contenders: &[Contender<'_>],
    cfg: &MetricConfig,
) -> Result<Vec<(String, Metrics)>> {
    let photo = patches_of(data, PatchSet::PhotoA, idx)?;
    let render = patches_of(data, PatchSet::RenderB, idx)?;
    let all = data.tags();
    let tags: Vec<_> = idx.iter().filter_map(|&i| all.get(i).copied()).collect();
    contenders
        .iter()
        .map(|c| {
            let p = c.photo.describe(&photo)?;
            let r = c.render.describe(&render)?;
            let dim = p.dim();
            if r.dim() != dim {
                return Err(super::TrainError::InvalidParameter {
                    name: "contender",
                    reason: format!("{}: photo and render descriptors differ in length", c.name),
                });
            }
            Ok((c.name.clone(), evaluate(p.data(), r.data(), dim, &tags, cfg)))
        })
        .collect()
}
