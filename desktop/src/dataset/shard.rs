//! The pair shard: one safetensors file of training correspondences from one region.
//!
//! Format `lsar-pairs`, version 1. A standard safetensors file (little-endian, readable by
//! any safetensors library) with these tensors, `N` samples, `S` the patch side (64):
//!
//! | tensor     | dtype | shape          | content                                        |
//! |------------|-------|----------------|------------------------------------------------|
//! | `photo_a`  | U8    | `N x 3 x S x S`| photo-style patch of view A (the anchor)        |
//! | `render_b` | U8    | `N x 3 x S x S`| render-style patch of view B (the positive)     |
//! | `render_a` | U8    | `N x 3 x S x S`| render-style patch of view A (auxiliary term)   |
//! | `photo_b`  | U8    | `N x 3 x S x S`| photo-style patch of view B (auxiliary term)    |
//! | `points`   | F32   | `N x 3`        | the 3D point, ECEF metres minus `origin`        |
//! | `pair`     | U32   | `N`            | index of the view pair the sample came from     |
//! | `origin`   | F64   | `3`            | ECEF origin of `points`, full precision         |
//!
//! Patches are RGB, channel-major (NCHW, as the network takes them), FOV-normalised (LandscapeAR,
//! Brejcha et al., ECCV 2020: 64 pixels span ~3.84 degrees). The safetensors `__metadata__`
//! holds `format` (`lsar-pairs`), `version` (`1`), `region` (a name such as `synth-17` or
//! `N44E005`), `region_id` (decimal `u32`, unique per region within a dataset), `split`
//! (`train` or `val`) and `info` (free JSON about how the shard was generated).

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::error::{DatasetError, Result};

/// The format name in the metadata.
pub const SHARD_FORMAT: &str = "lsar-pairs";
/// The format version this code writes and reads.
pub const SHARD_VERSION: u32 = 1;

/// Which part of the data a shard belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// Used for gradient steps.
    Train,
    /// Held out: validation (unseen terrain and appearance).
    Val,
}

impl Split {
    /// `"train"` or `"val"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
        }
    }

    /// Parses `"train"` or `"val"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "train" => Some(Self::Train),
            "val" => Some(Self::Val),
            _ => None,
        }
    }
}

/// One shard in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct PairShard {
    /// Region name (`synth-<seed>` or a DEM tile name).
    pub region: String,
    /// Region id, unique per region within a dataset.
    pub region_id: u32,
    /// Train or validation.
    pub split: Split,
    /// ECEF origin of `points`, metres.
    pub origin_ecef: [f64; 3],
    /// Patch side `S` in pixels.
    pub patch_size: usize,
    /// Photo-style patches of view A, `N x 3 x S x S`.
    pub photo_a: Vec<u8>,
    /// Render-style patches of view B.
    pub render_b: Vec<u8>,
    /// Render-style patches of view A.
    pub render_a: Vec<u8>,
    /// Photo-style patches of view B.
    pub photo_b: Vec<u8>,
    /// 3D points relative to the origin, metres.
    pub points: Vec<[f32; 3]>,
    /// View-pair index per sample.
    pub pair: Vec<u32>,
    /// Free JSON about the generation (recipe, seeds).
    pub info: String,
}

impl PairShard {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Bytes of one patch (`3 * S * S`).
    pub fn patch_bytes(&self) -> usize {
        3 * self.patch_size * self.patch_size
    }

    /// Checks that every array has `N` entries.
    ///
    /// # Errors
    /// [`DatasetError::Tensor`] naming the first inconsistent array.
    pub fn validate(&self) -> Result<()> {
        let n = self.len();
        let per = self.patch_bytes();
        if per == 0 {
            return Err(DatasetError::Format { reason: "zero patch size".into() });
        }
        for (name, v) in self.patch_arrays() {
            if v.len() != n * per {
                let reason = format!("{} bytes for {n} samples", v.len());
                return Err(DatasetError::Tensor { name, reason });
            }
        }
        if self.pair.len() != n {
            let reason = format!("{} entries for {n} samples", self.pair.len());
            return Err(DatasetError::Tensor { name: "pair", reason });
        }
        Ok(())
    }

    fn patch_arrays(&self) -> [(&'static str, &Vec<u8>); 4] {
        [
            ("photo_a", &self.photo_a),
            ("render_b", &self.render_b),
            ("render_a", &self.render_a),
            ("photo_b", &self.photo_b),
        ]
    }
}

fn view<'a>(dtype: Dtype, shape: Vec<usize>, data: &'a [u8]) -> Result<TensorView<'a>> {
    TensorView::new(dtype, shape, data)
        .map_err(|e| DatasetError::Safetensors { reason: e.to_string() })
}

/// Serialises a shard to safetensors bytes.
///
/// # Errors
/// [`DatasetError::Tensor`] for inconsistent arrays.
pub fn shard_to_bytes(shard: &PairShard) -> Result<Vec<u8>> {
    shard.validate()?;
    let (n, s) = (shard.len(), shard.patch_size);
    let points: Vec<u8> = shard.points.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    let pair: Vec<u8> = shard.pair.iter().flat_map(|v| v.to_le_bytes()).collect();
    let origin: Vec<u8> = shard.origin_ecef.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut tensors = Vec::new();
    for (name, v) in shard.patch_arrays() {
        tensors.push((name, view(Dtype::U8, vec![n, 3, s, s], v)?));
    }
    tensors.push(("points", view(Dtype::F32, vec![n, 3], &points)?));
    tensors.push(("pair", view(Dtype::U32, vec![n], &pair)?));
    tensors.push(("origin", view(Dtype::F64, vec![3], &origin)?));
    let meta: HashMap<String, String> = [
        ("format", SHARD_FORMAT.to_string()),
        ("version", SHARD_VERSION.to_string()),
        ("region", shard.region.clone()),
        ("region_id", shard.region_id.to_string()),
        ("split", shard.split.as_str().to_string()),
        ("info", shard.info.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    safetensors::serialize(tensors, Some(meta))
        .map_err(|e| DatasetError::Safetensors { reason: e.to_string() })
}

/// Writes a shard (to a temporary name, then renamed, so a crash leaves no half file).
///
/// # Errors
/// As [`shard_to_bytes`], and I/O errors.
pub fn write_shard(path: &Path, shard: &PairShard) -> Result<()> {
    let bytes = shard_to_bytes(shard)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Reads a shard file.
///
/// # Errors
/// As [`shard_from_bytes`], and I/O errors.
pub fn read_shard(path: &Path) -> Result<PairShard> {
    shard_from_bytes(&std::fs::read(path)?)
}

fn tensor<'a>(
    st: &SafeTensors<'a>,
    name: &'static str,
    dtype: Dtype,
    shape: &[usize],
) -> Result<&'a [u8]> {
    let t = st.tensor(name).map_err(|_| DatasetError::Tensor { name, reason: "missing".into() })?;
    if t.dtype() != dtype || t.shape() != shape {
        let reason = format!("{:?} {:?}, expected {dtype:?} {shape:?}", t.dtype(), t.shape());
        return Err(DatasetError::Tensor { name, reason });
    }
    Ok(t.data())
}

fn chunks4(b: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    b.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]])
}

/// Parses a shard from safetensors bytes, checking format, version, dtypes and shapes.
///
/// # Errors
/// [`DatasetError::Safetensors`], [`DatasetError::Format`] or [`DatasetError::Tensor`].
pub fn shard_from_bytes(bytes: &[u8]) -> Result<PairShard> {
    let bad = |e: safetensors::SafeTensorError| DatasetError::Safetensors { reason: e.to_string() };
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(bad)?;
    let st = SafeTensors::deserialize(bytes).map_err(bad)?;
    let empty = HashMap::new();
    let meta = header.metadata().as_ref().unwrap_or(&empty);
    let get = |k: &str| meta.get(k).map(String::as_str).unwrap_or("");
    if get("format") != SHARD_FORMAT {
        return Err(DatasetError::Format { reason: "metadata format is not lsar-pairs".into() });
    }
    if get("version") != SHARD_VERSION.to_string() {
        return Err(DatasetError::Format { reason: format!("version {:?}", get("version")) });
    }
    let split = Split::parse(get("split"))
        .ok_or_else(|| DatasetError::Format { reason: "split is not train or val".into() })?;
    let region_id = get("region_id")
        .parse()
        .map_err(|_| DatasetError::Format { reason: "region_id is not a u32".into() })?;
    let pts = st
        .tensor("points")
        .map_err(|_| DatasetError::Tensor { name: "points", reason: "missing".into() })?;
    let n = pts.shape().first().copied().unwrap_or(0);
    let s = st.tensor("photo_a").ok().and_then(|t| t.shape().get(2).copied()).unwrap_or(0);
    let patch = |name| tensor(&st, name, Dtype::U8, &[n, 3, s, s]).map(<[u8]>::to_vec);
    let points = tensor(&st, "points", Dtype::F32, &[n, 3])?;
    let points: Vec<f32> = chunks4(points).map(f32::from_le_bytes).collect();
    let pair = tensor(&st, "pair", Dtype::U32, &[n])?;
    let origin = tensor(&st, "origin", Dtype::F64, &[3])?;
    let o: Vec<f64> = origin
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    let shard = PairShard {
        region: get("region").to_string(),
        region_id,
        split,
        origin_ecef: [o[0], o[1], o[2]],
        patch_size: s,
        photo_a: patch("photo_a")?,
        render_b: patch("render_b")?,
        render_a: patch("render_a")?,
        photo_b: patch("photo_b")?,
        points: points.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
        pair: chunks4(pair).map(u32::from_le_bytes).collect(),
        info: get("info").to_string(),
    };
    shard.validate()?;
    Ok(shard)
}

/// Reads only the `__metadata__` of a shard file (its header), not the patches.
///
/// # Errors
/// I/O errors; [`DatasetError::Format`] for a malformed header.
pub fn read_shard_metadata(path: &Path) -> Result<HashMap<String, String>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)?;
    let n = u64::from_le_bytes(len);
    if n > 100_000_000 {
        return Err(DatasetError::Format { reason: "header too large".into() });
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header)?;
    let bad = |e: serde_json::Error| DatasetError::Format { reason: e.to_string() };
    let v: serde_json::Value = serde_json::from_slice(&header).map_err(bad)?;
    let meta = v.get("__metadata__").cloned().unwrap_or_default();
    let map: HashMap<String, String> = serde_json::from_value(meta).map_err(bad)?;
    Ok(map)
}
