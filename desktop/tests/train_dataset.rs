//! Pair generation on small procedural terrain: correspondences lie on the terrain, shards
//! load, the split is consistent per region, and evaluation terrain is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsar_desktop::dataset::policy::{
    HELD_OUT_PALETTE, TerrainSource, check_trainable, default_split, photo_palette, photo_seed_for,
};
use lsar_desktop::dataset::{
    DatasetError, GenerateSpec, PairDataset, PairParams, Split, generate, read_shard,
};
use lsar_desktop::dem::{Dem, LatLonBounds, Vertical};
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
