//! Region packs of an evaluation: one per descriptor, built with the pack builder's profile
//! grid over the evaluation region and cached by their parameters.
//!
//! The cache key is a JSON value (terrain, region, profile, descriptor and the SHA-256 of its
//! weights) stored in the pack's build metadata under `eval_pack`; the file name carries a
//! hash of the key, so packs of different parameters live side by side and a pack is reused
//! only when its stored key equals the wanted one.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use lsar_core::pack::{Bounds, DescriptorEncoding, PackReader};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::Result;
use crate::pack_build::{
    BuildConfig, Describer, DescriptorChoice, PoiEntry, Profile, auto_pois, build_pack,
};
use crate::render::TerrainModel;

/// Bumped whenever what an evaluation pack holds changes for the same key (2: duplicate 3D
/// points of a viewpoint merged).
const EVAL_PACK_VERSION: u64 = 2;

/// What decides an evaluation pack's content.
#[derive(Debug, Clone, PartialEq)]
pub struct PackSpec<'a> {
    /// Terrain identity (procedural seed or DEM files), part of the cache key.
    pub terrain_key: &'a Value,
    /// Region.
    pub bounds: Bounds,
    /// Builder profile (the viewpoint grid and view settings).
    pub profile: Profile,
    /// Viewpoint grid spacing in metres instead of the profile's, if set.
    pub spacing_m: Option<f64>,
    /// Descriptor storage instead of the profile's (f16), if set.
    pub encoding: Option<DescriptorEncoding>,
}

fn profile_name(p: Profile) -> &'static str {
    match p {
        Profile::Default => "default",
        Profile::Tiny => "tiny",
    }
}

/// The cache key of a pack for a descriptor.
pub fn pack_key(spec: &PackSpec<'_>, describer: &Describer) -> Value {
    let b = &spec.bounds;
    let mut key = json!({
        "version": EVAL_PACK_VERSION,
        "terrain": spec.terrain_key,
        "bounds": [b.south, b.west, b.north, b.east],
        "profile": profile_name(spec.profile),
        "descriptor": describer.model().id,
        "model_sha256": describer.model().sha256_hex(),
    });
    // Only an override enters the key, so packs of the profile's own grid stay cached.
    if let Some(s) = spec.spacing_m {
        key["spacing_m"] = json!(s);
    }
    if let Some(e) = spec.encoding {
        key["encoding"] = json!(e.code());
    }
    key
}

/// The cached pack's path in `dir` for a key.
pub fn pack_path(dir: &Path, kind: &str, key: &Value) -> PathBuf {
    let digest = Sha256::digest(key.to_string().as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    dir.join(format!("eval-{kind}-{short}.lsarpack"))
}

/// Whether `path` holds a pack built for `key`.
pub fn is_cached(path: &Path, key: &Value) -> bool {
    PackReader::open(path, None).is_ok_and(|p| p.metadata().build.get("eval_pack") == Some(key))
}

/// Opens the cached pack for `choice`, building it first when missing or stale. Returns the
/// path and whether it was built now.
///
/// # Errors
/// Descriptor loading, build and I/O errors.
pub fn ensure_pack(
    model: &TerrainModel,
    spec: &PackSpec<'_>,
    choice: &DescriptorChoice,
    dir: &Path,
    progress: &ProgressBar,
) -> Result<(PathBuf, bool)> {
    let describer = Describer::load(choice, None)?;
    let key = pack_key(spec, &describer);
    let path = pack_path(dir, choice.kind(), &key);
    if is_cached(&path, &key) {
        return Ok((path, false));
    }
    std::fs::create_dir_all(dir)?;
    let mut config = BuildConfig::for_profile(spec.profile, "lsar-eval", spec.bounds);
    if let Some(s) = spec.spacing_m {
        config.spacing_m = s;
    }
    if let Some(e) = spec.encoding {
        config.encoding = e;
    }
    config.created_unix_s = 0;
    config.extra.insert("eval_pack".into(), key);
    let named: Vec<PoiEntry> = Vec::new();
    let pois = auto_pois(model.dem(), &spec.bounds, 100.0, 200, &named);
    build_pack(model, &describer, &pois, &config, &path, progress)?;
    Ok((path, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_parameters_and_name_distinct_files() {
        let terrain = json!({ "synth_seed": 1000 });
        let bounds = Bounds { south: 46.4, west: 7.9, north: 46.6, east: 8.1 };
        let sift = Describer::load(&DescriptorChoice::Sift, None).unwrap_or_else(|e| panic!("{e}"));
        let spec = |profile, spacing_m| PackSpec {
            terrain_key: &terrain,
            bounds,
            profile,
            spacing_m,
            encoding: None,
        };
        let a = pack_key(&spec(Profile::Tiny, None), &sift);
        let b = pack_key(&spec(Profile::Default, None), &sift);
        assert_ne!(a, b);
        let c = pack_key(&spec(Profile::Default, Some(500.0)), &sift);
        assert_ne!(b, c);
        assert_eq!(c, pack_key(&spec(Profile::Default, Some(500.0)), &sift));
        let int8 =
            PackSpec { encoding: Some(DescriptorEncoding::Int8), ..spec(Profile::Default, None) };
        assert_ne!(b, pack_key(&int8, &sift));
        assert_eq!(pack_key(&int8, &sift)["encoding"], json!(DescriptorEncoding::Int8.code()));
        let dir = Path::new("cache");
        assert_ne!(pack_path(dir, "sift", &a), pack_path(dir, "sift", &b));
        assert_eq!(pack_path(dir, "sift", &a), pack_path(dir, "sift", &a.clone()));
        assert!(!is_cached(Path::new("/nonexistent/x.lsarpack"), &a));
    }
}
