//! Pair generation on small procedural terrain: correspondences lie on the terrain, shards
//! load, the split is consistent per region, and evaluation terrain is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsar_desktop::dataset::policy::{
    HELD_OUT_PALETTE, TerrainSource, check_trainable, default_split, photo_palette, photo_seed_for,
};
use lsar_desktop::dataset::{
    DatasetError, GenerateSpec, PairDataset, PairGenerator, PairParams, Split, generate, read_shard,
};
use lsar_desktop::dem::{Dem, DemGrid, LatLonBounds, Vertical};
use lsar_desktop::render::TerrainModel;
use lsar_desktop::synth::{SynthParams, synthesize};
use lsar_geometry::geodesy::geodetic_from_ecef;
use nalgebra::Vector3;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn small_terrain(seed: u64) -> TerrainModel {
    let p = SynthParams { seed, size_m: 8000.0, cell_m: 40.0, ..SynthParams::default() };
    let t = synthesize(&p).unwrap();
    TerrainModel::new(Dem::new(vec![t.grid], Vertical::Egm96)).unwrap()
}

#[test]
fn generated_pairs_lie_on_the_terrain_and_load() {
    let model = small_terrain(7);
    let dir = std::env::temp_dir().join(format!("lsar-train-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let params = PairParams {
        per_pair: 60,
        fov_deg: (30.0, 36.0),
        height_m: (50.0, 150.0),
        baseline_m: (50.0, 400.0),
        ..PairParams::default()
    };
    let spec = GenerateSpec {
        region: "synth-7".into(),
        region_id: 7,
        split: Split::Train,
        pairs: 2,
        seed: 3,
        pairs_per_shard: 1,
        params,
    };
    let report = generate(&model, &spec, &dir, &mut |_| {}).unwrap();
    eprintln!("{report:?}");
    assert!(report.pairs_ok >= 1 && report.samples >= 20, "{report:?}");
    let shard = read_shard(&report.shards[0]).unwrap();
    assert_eq!(shard.patch_size, 64);
    // Every 3D point sits on the DEM surface (the DEM is 40 m, the mesh interpolates).
    let dem = model.dem();
    for p in &shard.points {
        let o = shard.origin_ecef;
        let x =
            Vector3::new(o[0] + f64::from(p[0]), o[1] + f64::from(p[1]), o[2] + f64::from(p[2]));
        let g = geodetic_from_ecef(&x);
        let ground = dem.ellipsoidal_height(g.lat, g.lon).unwrap();
        assert!((g.height - ground).abs() < 15.0, "{} vs {ground}", g.height);
    }
    // Patches carry texture, and the photo and render styles differ.
    let per = 3 * 64 * 64;
    let first = &shard.photo_a[..per];
    assert!(first.iter().max() > first.iter().min());
    assert_ne!(&shard.photo_a[..per], &shard.render_a[..per]);
    let data = PairDataset::load_dir(&dir, Split::Train).unwrap();
    assert_eq!(data.len(), report.samples);
    // The same region may not go into the validation split of this directory.
    let val = GenerateSpec { split: Split::Val, pairs: 1, ..spec };
    let err = generate(&model, &val, &dir, &mut |_| {}).unwrap_err();
    assert!(matches!(err, DatasetError::InvalidParameter { name: "split", .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Median distance from view A's camera to the pair's 3D points, and A's and B's heights
/// above the ground and their horizontal distance, over the pairs found in `pairs` tries.
fn pair_geometry(model: &TerrainModel, params: PairParams, pairs: u64) -> (f64, Vec<[f64; 3]>) {
    let mut generator = PairGenerator::new(model, params, Split::Train);
    let (mut dists, mut cams) = (Vec::new(), Vec::new());
    for i in 0..pairs {
        let Some(s) = generator.pair(11, i).unwrap() else { continue };
        let (a, b) = s.cameras.unwrap();
        let ca = a.centre_ecef();
        dists.extend(s.points.iter().map(|p| (Vector3::from(*p) - ca).norm()));
        let (ga, gb) = (a.centre_geodetic(), b.centre_geodetic());
        let dem = model.dem();
        let above = |g: &lsar_geometry::geodesy::Geodetic| {
            g.height - dem.ellipsoidal_height(g.lat, g.lon).unwrap()
        };
        let frame = lsar_geometry::geodesy::LocalFrame::new(ga);
        let enu = frame.enu_from_ecef(&b.centre_ecef());
        cams.push([above(&ga), above(&gb), enu.x.hypot(enu.y)]);
    }
    assert!(!dists.is_empty(), "no pair found");
    dists.sort_by(f64::total_cmp);
    (dists[dists.len() / 2], cams)
}

#[test]
fn pair_ranges_place_the_views() {
    let model = small_terrain(5);
    let base = PairParams {
        per_pair: 40,
        fov_deg: (40.0, 50.0),
        height_m: (2.0, 30.0),
        baseline_m: (100.0, 300.0),
        ..PairParams::default()
    };
    let near = PairParams { target_depth_m: (200.0, 700.0), ..base.clone() };
    let far = PairParams { target_depth_m: (2500.0, 6000.0), ..base.clone() };
    let (near_median, cams) = pair_geometry(&model, near, 6);
    let (far_median, _) = pair_geometry(&model, far, 6);
    eprintln!("median point distance: near targets {near_median:.0} m, far {far_median:.0} m");
    // B looks at A's target, so the shared points lie around the target's depth.
    assert!(near_median < 1200.0 && far_median > 1500.0, "{near_median} {far_median}");
    for [ha, hb, d] in cams {
        // Heights are drawn above the ground under the camera (the mesh interpolates the
        // 40 m DEM, so allow a metre); B's place is drawn `baseline` away on A's tangent
        // plane, whose distance the ENU horizontal reproduces to a metre at 300 m.
        assert!((1.0..31.0).contains(&ha) && (1.0..31.0).contains(&hb), "{ha} {hb}");
        assert!((99.0..301.0).contains(&d), "{d}");
    }
    // Ranges that are empty or not finite are refused before anything is drawn.
    let dir = std::env::temp_dir().join(format!("lsar-train-range-{}", std::process::id()));
    for params in [
        PairParams { height_m: (30.0, 2.0), ..base.clone() },
        PairParams { target_depth_m: (200.0, f64::NAN), ..base.clone() },
        PairParams { baseline_m: (-5.0, 10.0), ..base },
    ] {
        let spec = GenerateSpec {
            region: "synth-5".into(),
            region_id: 5,
            split: Split::Train,
            pairs: 1,
            seed: 0,
            pairs_per_shard: 1,
            params,
        };
        let err = generate(&model, &spec, &dir, &mut |_| {}).unwrap_err();
        assert!(matches!(err, DatasetError::InvalidParameter { .. }), "{err}");
        let mut generator = PairGenerator::new(&model, spec.params, Split::Train);
        let err = generator.pair(0, 0).unwrap_err();
        assert!(matches!(err, DatasetError::InvalidParameter { .. }), "{err}");
    }
    assert!(!dir.exists());
}

#[test]
fn dem_voids_are_skipped() {
    // Every fourth column of 40 m cells is a void: many drawn places have no ground height.
    let p = SynthParams { seed: 5, size_m: 8000.0, cell_m: 40.0, ..SynthParams::default() };
    let g = synthesize(&p).unwrap().grid;
    let mut heights = g.heights().to_vec();
    for (i, h) in heights.iter_mut().enumerate() {
        if (i % g.width()).is_multiple_of(4) {
            *h = f32::NAN;
        }
    }
    let holed = DemGrid::new(g.width(), g.height(), heights, *g.transform()).unwrap();
    let model = TerrainModel::new(Dem::new(vec![holed], Vertical::Egm96)).unwrap();
    let params = PairParams { per_pair: 20, fov_deg: (40.0, 50.0), ..PairParams::default() };
    let mut generator = PairGenerator::new(&model, params, Split::Train);
    let found = (0..6).filter(|i| generator.pair(2, *i).unwrap().is_some()).count();
    assert!(found > 0);
}

#[test]
fn evaluation_terrain_is_refused() {
    assert!(check_trainable(&TerrainSource::Synth { seed: 999 }, None).is_ok());
    let err = check_trainable(&TerrainSource::Synth { seed: 1000 }, None).unwrap_err();
    assert!(err.to_string().contains("reserved for evaluation"));
    let colorado = LatLonBounds { south: 39.8, north: 40.4, west: -105.9, east: -105.2 };
    let dem = TerrainSource::Dem { name: "SRTMGL3_frontrange_0.63deg".into() };
    assert!(check_trainable(&dem, Some(&colorado)).is_err());
    let renamed = TerrainSource::Dem { name: "mine".into() };
    assert!(check_trainable(&renamed, Some(&colorado)).is_err());
    let alps = LatLonBounds { south: 44.0, north: 45.0, west: 5.0, east: 6.0 };
    assert!(check_trainable(&TerrainSource::Dem { name: "N44E005".into() }, Some(&alps)).is_ok());
}

#[test]
fn splits_and_held_out_palette() {
    assert_eq!(default_split(&TerrainSource::Synth { seed: 4 }), Split::Val);
    assert_eq!(default_split(&TerrainSource::Synth { seed: 5 }), Split::Train);
    assert_eq!(default_split(&TerrainSource::Dem { name: "N44E005".into() }), Split::Train);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for _ in 0..50 {
        assert_ne!(photo_palette(photo_seed_for(Split::Train, &mut rng)), HELD_OUT_PALETTE);
        assert_eq!(photo_palette(photo_seed_for(Split::Val, &mut rng)), HELD_OUT_PALETTE);
    }
}
