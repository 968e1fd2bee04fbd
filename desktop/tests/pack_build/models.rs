//! POIs, descriptors and model identity, determinism, real terrain.

use super::*;

/// `auto` POIs: summits by prominence carry the synthetic summits' names (from the
/// `.summits.json` beside a DEM written by `lsar dem synth`), and the pack holds them.
#[test]
fn auto_pois_include_the_synthetic_summits() {
    let s = scene();
    let tif = tmp("synth.tif");
    write_geotiff(&tif, &s.terrain.grid).unwrap();
    let doc = serde_json::json!({ "seed": 5, "summits": s.terrain.summits });
    std::fs::write(tif.with_extension("summits.json"), doc.to_string()).unwrap();
    let sidecar = summits_sidecar(&tif).expect("sidecar found");
    let dem = s.model.dem();
    let named = read_poi_file(&sidecar, dem).unwrap();
    assert_eq!(named.len(), s.terrain.summits.len());
    let pois = auto_pois(dem, &s.bounds, 100.0, 1000, &named);
    let inside: Vec<_> = s
        .terrain
        .summits
        .iter()
        .filter(|m| {
            (s.bounds.south..=s.bounds.north).contains(&m.lat)
                && (s.bounds.west..=s.bounds.east).contains(&m.lon)
        })
        .collect();
    assert!(!inside.is_empty(), "no synthetic summit in the region");
    for m in &inside {
        let p =
            pois.iter().find(|p| p.name == m.name).unwrap_or_else(|| panic!("{} missing", m.name));
        assert!((p.elevation_msl - m.elevation_msl).abs() < 1.0, "{p:?} vs {m:?}");
        assert!(p.prominence.is_nan() || p.prominence >= 100.0, "{p:?}");
    }
    // Most synthetic summits are real summits, found by prominence (they get its value).
    let found =
        inside.iter().filter(|m| pois.iter().any(|p| p.name == m.name && p.prominence >= 100.0));
    assert!(2 * found.count() >= inside.len());
    // Prominence is never more than the height above the region's lowest sample, and the
    // highest summit of the grid is there with the largest prominence.
    assert!(pois.iter().filter(|p| !p.name.starts_with("Peak")).count() >= inside.len());
    let (path, _) = sift_pack();
    let pack = PackReader::open(path, None).unwrap();
    let names: Vec<&str> = pack.pois().iter().map(|p| pack.poi_name(p).unwrap()).collect();
    for m in &inside {
        assert!(names.contains(&m.name.as_str()), "{} not in the pack: {names:?}", m.name);
    }
    // A CSV with the same summits and no elevation samples the DEM.
    let csv = tmp("pois.csv");
    let mut text = String::from("name,lat,lon\n");
    for m in &inside {
        text.push_str(&format!("{},{},{}\n", m.name, m.lat, m.lon));
    }
    std::fs::write(&csv, text).unwrap();
    let from_csv = read_poi_file(&csv, dem).unwrap();
    assert_eq!(from_csv.len(), inside.len());
    for (p, m) in from_csv.iter().zip(&inside) {
        assert!((p.elevation_msl - m.elevation_msl).abs() < 1.0);
    }
}

/// HardTFeat builds, and the pack records the SHA-256 of its weights file.
#[test]
fn hardtfeat_builds() {
    let npz = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/descriptors/hardtfeat.npz"
    ));
    if !npz.exists() {
        println!("skipped: {} is absent (shared test data not found)", npz.display());
        return;
    }
    let choice = DescriptorChoice::HardTFeat { npz: npz.clone() };
    let mut cfg = one_viewpoint("hardtfeat");
    cfg.features.detector = Detector::Grid { stride: 24 };
    let (path, report, model) = build(&cfg, &choice, &[], "hardtfeat.lsarpack");
    assert_eq!(model.sha256, sha256(&std::fs::read(&npz).unwrap()));
    let pack = PackReader::open(&path, Some(&model)).unwrap();
    pack.verify().unwrap();
    assert!(report.keypoints > 100);
    assert_eq!(pack.metadata().model.id, "hardtfeat");
}

/// A pack built with learned weights A opens with A's id and refuses B's; int8 rows are unit
/// vectors within quantisation.
#[test]
fn learned_pack_refuses_another_model() {
    let save = |seed: u64, name: &str| {
        let t = weights::init_tensors(&lsar_vision::Config::default(), seed).unwrap();
        let p = tmp(name);
        weights::save_safetensors(&t, DType::F32, &p).unwrap();
        p
    };
    let (a, b) = (save(1, "a.safetensors"), save(2, "b.safetensors"));
    let mut cfg = one_viewpoint("learned");
    cfg.features.detector = Detector::Grid { stride: 24 };
    cfg.encoding = DescriptorEncoding::Int8;
    let (path, report, model) =
        build(&cfg, &DescriptorChoice::Learned { weights: a.clone() }, &[], "learned.lsarpack");
    assert!(report.keypoints > 100);
    assert_eq!(model.sha256, sha256(&std::fs::read(&a).unwrap()));
    let pack = PackReader::open(&path, Some(&model)).unwrap();
    pack.verify().unwrap();
    let d = pack.descriptors();
    let mut row = vec![0.0f32; 128];
    for i in 0..d.len() {
        d.row_into(i, &mut row).unwrap();
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 0.02, "row {i}: norm {norm}");
    }
    let other = ModelId::new(model.id, sha256(&std::fs::read(&b).unwrap()));
    match PackReader::open(&path, Some(&other)) {
        Err(PackError::ModelMismatch { .. }) => {}
        other => panic!("expected a model mismatch, got {other:?}"),
    }
    let sift = ModelId::new(SIFT_MODEL_ID, [0; 32]);
    assert!(matches!(PackReader::open(&path, Some(&sift)), Err(PackError::ModelMismatch { .. })));
}

/// The same inputs give the same bytes (the creation time is fixed here).
#[test]
fn builds_are_deterministic() {
    let cfg = one_viewpoint("determinism");
    let (p1, ..) = build(&cfg, &DescriptorChoice::Sift, &summit_pois(), "det1.lsarpack");
    let (p2, ..) = build(&cfg, &DescriptorChoice::Sift, &summit_pois(), "det2.lsarpack");
    assert!(std::fs::read(p1).unwrap() == std::fs::read(p2).unwrap());
}

/// The Colorado SRTM crop (Esri ASCII, 3 arc-seconds): a tiny pack over real terrain.
#[test]
fn colorado_tiny_pack() {
    let asc = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/dem/front_range_srtm3/SRTMGL3_40.09_-105.56_small.asc"
    ));
    if !asc.exists() {
        println!("skipped: {} is absent (shared test data not found)", asc.display());
        return;
    }
    let dem = load_dems(&[&asc], Some(Crs::Geographic), Vertical::Egm96).unwrap();
    let model = TerrainModel::new(dem).unwrap();
    let b = model.dem().bounds().unwrap();
    let bounds = Bounds { south: b.south, west: b.west, north: b.north, east: b.east };
    let mut cfg = BuildConfig::for_profile(Profile::Tiny, "front range", bounds);
    cfg.spacing_m = 5000.0;
    let pois = auto_pois(model.dem(), &bounds, 100.0, 1000, &[]);
    assert!(!pois.is_empty());
    let describer = Describer::load(&DescriptorChoice::Sift, None).unwrap();
    let path = tmp("colorado.lsarpack");
    let report =
        build_pack(&model, &describer, &pois, &cfg, &path, &ProgressBar::hidden()).unwrap();
    println!("colorado: {report:?}");
    let pack = PackReader::open(&path, None).unwrap();
    pack.verify().unwrap();
    assert!(report.viewpoints >= 1 && report.keypoints > 20, "{report:?}");
    let top = pois.iter().map(|p| p.elevation_msl).fold(f64::MIN, f64::max);
    let (_, max) = model.dem().grids()[0].min_max().unwrap();
    assert!((top - f64::from(max)).abs() < 0.5, "highest POI {top}, DEM max {max}");
}
