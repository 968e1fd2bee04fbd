//! Shards loaded into memory for training: the patches of all shards of one split side by
//! side, each sample tagged with its region and absolute ECEF point.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::error::{DatasetError, Result};
use super::shard::{PairShard, Split, read_shard, read_shard_metadata};

/// Where a sample's 3D point is: the region (points of different regions never coincide)
/// and the absolute ECEF position in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointTag {
    /// Region id of the shard.
    pub region: u32,
    /// ECEF position, metres.
    pub ecef: [f64; 3],
}

impl PointTag {
    /// Distance to another point in metres; infinite across regions.
    pub fn distance(&self, other: &Self) -> f64 {
        if self.region != other.region {
            return f64::INFINITY;
        }
        let d: f64 = (0..3).map(|k| (self.ecef[k] - other.ecef[k]).powi(2)).sum();
        d.sqrt()
    }
}

/// One of the four patch sets of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchSet {
    /// Photo style, view A (anchor).
    PhotoA,
    /// Render style, view B (positive).
    RenderB,
    /// Render style, view A (auxiliary).
    RenderA,
    /// Photo style, view B (auxiliary).
    PhotoB,
}

impl PatchSet {
    /// All four sets, in shard order.
    pub const ALL: [Self; 4] = [Self::PhotoA, Self::RenderB, Self::RenderA, Self::PhotoB];
    /// The sets of the cross-domain loss and of validation (photo A against render B).
    pub const CROSS: [Self; 2] = [Self::PhotoA, Self::RenderB];

    fn index(self) -> usize {
        match self {
            Self::PhotoA => 0,
            Self::RenderB => 1,
            Self::RenderA => 2,
            Self::PhotoB => 3,
        }
    }
}

/// All samples of some shards, in memory: the patch sets asked for (each is 12 KB per
/// sample at 64 px, so a run that does not use the auxiliary sets holds half the bytes).
#[derive(Debug, Clone)]
pub struct PairDataset {
    patch_size: usize,
    sets: [Vec<u8>; 4],
    kept: [bool; 4],
    tags: Vec<PointTag>,
}

impl Default for PairDataset {
    fn default() -> Self {
        Self::with_sets(&PatchSet::ALL)
    }
}

impl PairDataset {
    /// An empty dataset that keeps only the patch sets `keep` of the shards appended.
    pub fn with_sets(keep: &[PatchSet]) -> Self {
        let mut kept = [false; 4];
        for s in keep {
            kept[s.index()] = true;
        }
        Self { patch_size: 0, sets: Default::default(), kept, tags: Vec::new() }
    }

    /// Concatenates shards (all must share one patch size).
    ///
    /// # Errors
    /// [`DatasetError::Format`] for mixed patch sizes.
    pub fn from_shards(shards: &[PairShard]) -> Result<Self> {
        let mut out = Self::default();
        for sh in shards {
            out.append(sh)?;
        }
        Ok(out)
    }

    /// Appends one shard's samples.
    ///
    /// # Errors
    /// Shard validation errors; [`DatasetError::Format`] for a patch size other than the
    /// samples' already held.
    pub fn append(&mut self, sh: &PairShard) -> Result<()> {
        sh.validate()?;
        if self.tags.is_empty() {
            self.patch_size = sh.patch_size;
        } else if sh.patch_size != self.patch_size {
            return Err(DatasetError::Format { reason: "mixed patch sizes".into() });
        }
        let src = [&sh.photo_a, &sh.render_b, &sh.render_a, &sh.photo_b];
        for ((dst, s), keep) in self.sets.iter_mut().zip(src).zip(self.kept) {
            if keep {
                dst.extend_from_slice(s);
            }
        }
        let o = sh.origin_ecef;
        self.tags.extend(sh.points.iter().map(|p| PointTag {
            region: sh.region_id,
            ecef: [o[0] + f64::from(p[0]), o[1] + f64::from(p[1]), o[2] + f64::from(p[2])],
        }));
        Ok(())
    }

    /// Loads every `*.safetensors` shard of `split` in `dir` (sorted by file name), one
    /// shard in memory at a time besides the samples, with all four patch sets.
    ///
    /// # Errors
    /// I/O and shard errors; [`DatasetError::Empty`] when no sample of the split is found.
    pub fn load_dir(dir: &Path, split: Split) -> Result<Self> {
        Self::load_dir_sets(dir, split, &PatchSet::ALL)
    }

    /// [`Self::load_dir`] keeping only the patch sets `keep`.
    ///
    /// # Errors
    /// As [`Self::load_dir`].
    pub fn load_dir_sets(dir: &Path, split: Split, keep: &[PatchSet]) -> Result<Self> {
        let mut data = Self::with_sets(keep);
        for p in shard_paths(dir)? {
            let meta = read_shard_metadata(&p)?;
            if meta.get("split").map(String::as_str) == Some(split.as_str()) {
                data.append(&read_shard(&p)?)?;
            }
        }
        if data.is_empty() {
            return Err(DatasetError::Empty { split: split.as_str() });
        }
        Ok(data)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Patch side in pixels.
    pub fn patch_size(&self) -> usize {
        self.patch_size
    }

    /// The point tags, one per sample.
    pub fn tags(&self) -> &[PointTag] {
        &self.tags
    }

    /// Whether the patch set `set` was loaded.
    pub fn has_set(&self, set: PatchSet) -> bool {
        self.kept[set.index()]
    }

    /// The bytes of one patch (`3 x S x S`), `None` past the end or for a set not loaded.
    pub fn patch(&self, set: PatchSet, i: usize) -> Option<&[u8]> {
        let per = 3 * self.patch_size * self.patch_size;
        self.sets[set.index()].get(i * per..(i + 1) * per)
    }

    /// The patches of the given samples as an `F32` tensor `n x 3 x S x S` in `[0, 1]`.
    ///
    /// # Errors
    /// [`DatasetError::InvalidParameter`] for an index past the end or a set not loaded.
    pub fn batch(&self, set: PatchSet, idx: &[usize], device: &Device) -> Result<Tensor> {
        if !self.has_set(set) {
            return Err(DatasetError::InvalidParameter {
                name: "patch set",
                reason: format!("{set:?} was not loaded"),
            });
        }
        let s = self.patch_size;
        let mut v = Vec::with_capacity(idx.len() * 3 * s * s);
        for &i in idx {
            let p = self.patch(set, i).ok_or_else(|| DatasetError::InvalidParameter {
                name: "index",
                reason: format!("sample {i} of {}", self.len()),
            })?;
            v.extend(p.iter().map(|&b| f32::from(b) / 255.0));
        }
        Tensor::from_vec(v, (idx.len(), 3, s, s), device)
            .map_err(|e| DatasetError::Format { reason: e.to_string() })
    }
}

/// The `*.safetensors` files in a directory, sorted by name.
///
/// # Errors
/// I/O errors listing the directory.
pub fn shard_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    out.sort();
    Ok(out)
}
