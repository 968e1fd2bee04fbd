//! `lsar pack build` on procedural terrain (always available) and the Colorado SRTM crop
//! (skipped when the shared data is absent): the pack opens and verifies, keypoints lie on
//! the terrain and project back to their pixels, descriptors are unit vectors, the viewpoint
//! query is exact, horizons agree with the rendered skyline, auto POIs carry the synthetic
//! summits, every descriptor builds, a model mismatch is refused, and builds are
//! deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod detector;
mod geometry;
mod merge;
mod models;
mod pois;
mod temp_files;

use std::path::PathBuf;
use std::sync::OnceLock;

use candle_core::DType;
use indicatif::ProgressBar;
use lsar_desktop::dem::{Crs, Dem, Vertical, load_dems, write_geotiff};
use lsar_desktop::pack_build::describer::{SIFT_MODEL_ID, sha256};
use lsar_desktop::pack_build::{
    BuildConfig, BuildReport, Describer, DescriptorChoice, Detector, PackBuildError, PoiEntry,
    Profile, auto_pois, build_pack, read_poi_file, summits_sidecar, view_camera,
};
use lsar_desktop::render::{RenderOptions, TerrainModel, render_surface};
use lsar_desktop::synth::{SynthParams, SynthTerrain, synthesize};
use lsar_geometry::geodesy::geodetic_from_ecef;
use lsar_pack::{Bounds, DescriptorEncoding, ModelId, PackError, PackReader, ViewParams};
use lsar_vision::descriptor::weights;
use nalgebra::{Vector2, Vector3};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lsar-pack-build-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

struct Scene {
    terrain: SynthTerrain,
    model: TerrainModel,
    bounds: Bounds,
}

/// 12 x 12 km of synthetic terrain; the region is its central 8 x 8 km.
fn scene() -> &'static Scene {
    static SCENE: OnceLock<Scene> = OnceLock::new();
    SCENE.get_or_init(|| {
        let p = SynthParams { seed: 5, size_m: 12_000.0, ..SynthParams::default() };
        let terrain = synthesize(&p).unwrap();
        let model =
            TerrainModel::new(Dem::new(vec![terrain.grid.clone()], Vertical::Egm96)).unwrap();
        let (lat, lon) = p.center;
        let (dlat, dlon) = (4000.0 / 111_132.0, 4000.0 / (111_320.0 * lat.to_radians().cos()));
        let bounds =
            Bounds { south: lat - dlat, west: lon - dlon, north: lat + dlat, east: lon + dlon };
        Scene { terrain, model, bounds }
    })
}

fn tiny(name: &str) -> BuildConfig {
    let mut cfg = BuildConfig::for_profile(Profile::Tiny, name, scene().bounds);
    cfg.spacing_m = 3000.0;
    cfg.created_unix_s = 1_800_000_000;
    cfg
}

fn summit_pois() -> Vec<PoiEntry> {
    scene().terrain.summits.iter().map(PoiEntry::from).collect()
}

fn build(
    cfg: &BuildConfig,
    choice: &DescriptorChoice,
    pois: &[PoiEntry],
    out: &str,
) -> (PathBuf, BuildReport, ModelId) {
    let describer = Describer::load(choice, None).unwrap();
    let path = tmp(out);
    let t = std::time::Instant::now();
    let report =
        build_pack(&scene().model, &describer, pois, cfg, &path, &ProgressBar::hidden()).unwrap();
    println!("{out}: {report:?} in {:.2?}", t.elapsed());
    (path, report, describer.model().clone())
}

/// The tiny SIFT pack with auto POIs, shared by several tests.
fn sift_pack() -> &'static (PathBuf, BuildReport) {
    static PACK: OnceLock<(PathBuf, BuildReport)> = OnceLock::new();
    PACK.get_or_init(|| {
        let s = scene();
        let pois = auto_pois(s.model.dem(), &s.bounds, 100.0, 1000, &summit_pois());
        let (p, r, _) =
            build(&tiny("synthetic tiny"), &DescriptorChoice::Sift, &pois, "sift.lsarpack");
        (p, r)
    })
}

fn one_viewpoint(name: &str) -> BuildConfig {
    let mut cfg = tiny(name);
    cfg.max_viewpoints = Some(1);
    cfg
}

#[test]
fn tiny_pack_opens_and_verifies() {
    let (path, report) = sift_pack();
    let pack = PackReader::open(path, None).unwrap();
    pack.verify().unwrap();
    let m = pack.metadata();
    assert_eq!(m.name, "synthetic tiny");
    assert_eq!(m.model, ModelId::new(SIFT_MODEL_ID, [0; 32]));
    assert_eq!(m.bounds, scene().bounds);
    assert_eq!(m.created_unix_s, 1_800_000_000);
    assert_eq!(m.build["views"], 6);
    assert_eq!(pack.viewpoints().len(), report.viewpoints);
    assert!((2..=4).contains(&report.viewpoints), "{report:?}");
    assert_eq!(pack.views().len(), 6 * report.viewpoints);
    assert_eq!(pack.keypoints().len(), report.keypoints);
    assert!(report.keypoints >= 5 * report.views, "{report:?}");
    assert!(pack.views().iter().all(|v| v.keypoint_count <= 150 && v.width == 384));
    assert_eq!(std::fs::metadata(path).unwrap().len(), report.bytes);
}

#[test]
fn descriptors_are_unit_vectors() {
    let (path, _) = sift_pack();
    let pack = PackReader::open(path, None).unwrap();
    let d = pack.descriptors();
    assert_eq!(d.dim(), 128);
    let mut row = vec![0.0f32; 128];
    for i in 0..d.len() {
        d.row_into(i, &mut row).unwrap();
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 2e-3, "row {i}: norm {norm}");
    }
}

#[test]
fn viewpoint_query_is_exact() {
    let (path, _) = sift_pack();
    let pack = PackReader::open(path, None).unwrap();
    let vps = pack.viewpoints();
    let mut out = Vec::new();
    for (cx, cy) in [(0.0, 0.0), (1500.0, -1500.0), (-3000.0, 2000.0), (9000.0, 9000.0)] {
        for r in [100.0, 1600.0, 2200.0, 4000.0, 50_000.0] {
            pack.viewpoints_within([cx, cy], r, &mut out);
            let mut got = out.clone();
            got.sort_unstable();
            let want: Vec<u32> = (0..vps.len() as u32)
                .filter(|&i| {
                    let p = vps[i as usize].position_enu;
                    (p[0] - cx).hypot(p[1] - cy) <= r
                })
                .collect();
            assert_eq!(got, want, "query ({cx}, {cy}) r {r}");
        }
    }
    // The grid is centred on the origin with the configured spacing (the camera, 50 m above
    // ground on the curved earth, sits within a metre or two of the grid point in ENU).
    assert!(vps.iter().all(|v| {
        let off = |x: f64| (x - 3000.0 * (x / 3000.0).round()).abs();
        off(v.position_enu[0]) < 2.0 && off(v.position_enu[1]) < 2.0
    }));
}
