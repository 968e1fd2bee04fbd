//! The Localizer end to end (issue "The Localizer end to end"): procedural terrain -> the
//! pack builder (tiny profile) -> rendered queries -> `Localizer::localize`; a wrong GPS
//! prior; several threads on one localizer; bad input; and a DEM mismatch (queries rendered
//! from the N44E005 GeoTIFF, the pack built from the `.hgt`). Query appearance: see
//! [`super::localizer_fixture`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use lsar_core::pack::PackReader;
use lsar_core::vision::Image;
use lsar_core::{CoreError, DescriptorModel, Localizer, Outcome, Priors, Reason};
use lsar_desktop::dem::{Dem, Vertical, read_dem};
use lsar_desktop::render::TerrainModel;

use super::localizer_fixture::{
    cameras_near_viewpoints, errors, gps_offset, render_query, tiny_sift_pack, world,
};

fn localize(loc: &Localizer, image: &Image, priors: &Priors) -> Outcome {
    loc.localize(image, priors).unwrap()
}

/// Every query that localizes is within 1 degree (and 1 degree of FOV, 150 m); at least 3
/// of the 4 localize. With the SIFT baseline on the tiny pack (few DoG keypoints per smooth
/// render) one view in four may find too few inliers (8 of 12 at the time of writing); the
/// photo-style accuracy of each descriptor is `lsar eval`'s business.
#[test]
fn e2e_rendered_queries_localize_within_one_degree() {
    let w = world();
    assert_eq!(w.queries.len(), 4);
    let mut localized = 0;
    for (i, q) in w.queries.iter().enumerate() {
        let priors = Priors::from_gps(gps_offset(&q.truth, 21.0, 21.0), 30.0);
        let found = match localize(&w.localizer, &q.image, &priors) {
            Ok(found) => found,
            Err(n) => {
                eprintln!("e2e query {i}: {n}");
                continue;
            }
        };
        let (rot, centre, fov) = errors(&found, &q.truth);
        eprintln!(
            "e2e query {i}: rot {rot:.3} deg, centre {centre:.1} m, fov {fov:.3} deg, inliers {}, conf {:.2}, {:.0} ms",
            found.inliers, found.confidence, found.timings_ms.total_ms
        );
        assert!(rot < 1.0, "query {i}: rotation error {rot} deg");
        assert!(fov < 1.0, "query {i}: FOV error {fov} deg");
        assert!(centre < 150.0, "query {i}: centre error {centre} m");
        localized += 1;
    }
    assert!(localized >= 3, "{localized} of 4 localized");
}

/// A GPS fix 2 km from the truth towards the nearest other viewpoint. Claimed accurate to
/// 30 m, the search finds no viewpoint; claimed accurate to 1.25 km, the search (2.5 km)
/// reaches both the true and the other viewpoint. Either way the result is a typed failure,
/// a correct pose, or a pose with confidence below 0.3.
#[test]
fn e2e_gps_prior_two_km_off_fails_or_stays_honest() {
    let w = world();
    let pack = &w.localizer.packs()[0];
    let frame = pack.local_frame();
    for (i, q) in w.queries.iter().enumerate() {
        let at = frame.enu_from_geodetic(&q.truth.centre_geodetic());
        let mut others: Vec<[f64; 2]> = pack
            .viewpoints()
            .iter()
            .map(|v| [v.position_enu[0] - at.x, v.position_enu[1] - at.y])
            .collect();
        others.sort_by(|a, b| a[0].hypot(a[1]).total_cmp(&b[0].hypot(b[1])));
        let Some(&[dx, dy]) = others.get(1) else { panic!("the pack has one viewpoint") };
        let d = dx.hypot(dy);
        let gps = gps_offset(&q.truth, 2000.0 * dx / d, 2000.0 * dy / d);
        for accuracy in [30.0, 1250.0] {
            match localize(&w.localizer, &q.image, &Priors::from_gps(gps, accuracy)) {
                Err(n) => eprintln!("2 km off, query {i}, accuracy {accuracy} m: {n}"),
                Ok(found) => {
                    let (rot, centre, _) = errors(&found, &q.truth);
                    eprintln!(
                        "2 km off, query {i}, accuracy {accuracy} m: rot {rot:.2} deg, centre {centre:.0} m, conf {:.2}, contradicted {:?}",
                        found.confidence, found.contradicted_priors
                    );
                    assert!(
                        rot < 2.0 || found.confidence < 0.3,
                        "query {i}: wrong pose ({rot} deg) with confidence {}",
                        found.confidence
                    );
                }
            }
        }
    }
}

#[test]
fn e2e_threads_on_one_localizer_agree_with_one_thread() {
    let w = world();
    let priors: Vec<Priors> = w
        .queries
        .iter()
        .map(|q| Priors::from_gps(gps_offset(&q.truth, -25.0, 10.0), 30.0))
        .collect();
    let key = |o: &Outcome| match o {
        Ok(l) => format!(
            "{:?} {} {} {:.12}",
            l.camera_json.cam_from_world, l.inliers, l.correspondences, l.confidence
        ),
        Err(n) => format!("{}", n.reason),
    };
    let single: Vec<String> = w
        .queries
        .iter()
        .zip(&priors)
        .map(|(q, p)| key(&localize(&w.localizer, &q.image, p)))
        .collect();
    let priors = Arc::new(priors);
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let priors = Arc::clone(&priors);
            std::thread::Builder::new()
                .name(format!("localize-{t}"))
                .spawn(move || {
                    let w = world();
                    // Each thread walks the queries in another order.
                    let n = w.queries.len();
                    let mut out = vec![String::new(); n];
                    for k in 0..n {
                        let i = (k + t) % n;
                        out[i] = key(&localize(&w.localizer, &w.queries[i].image, &priors[i]));
                    }
                    out
                })
                .unwrap()
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), single);
    }
}

#[test]
fn e2e_bad_input_is_a_typed_error() {
    let w = world();
    let q = &w.queries[0];
    let priors = Priors::from_gps(gps_offset(&q.truth, 0.0, 0.0), 30.0);
    let undecodable = w.localizer.localize_encoded(b"\x89PNG but not really", &priors);
    assert!(matches!(undecodable, Err(CoreError::Vision { .. })), "{undecodable:?}");
    assert!(Image::new(0, 0, 3, Vec::new()).is_err(), "zero-sized images cannot be made");
    // A PNG header announcing a 0 x 0 image.
    let mut zero_png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    zero_png.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let zero = w.localizer.localize_encoded(&zero_png, &priors);
    assert!(matches!(zero, Err(CoreError::Vision { .. })), "{zero:?}");

    let far = Priors::from_gps(gps_offset(&q.truth, 80_000.0, 0.0), 30.0);
    let outside = localize(&w.localizer, &q.image, &far).unwrap_err();
    assert_eq!(outside.reason, Reason::OutsidePacks);

    for bad in [f64::NAN, 200.0] {
        let mut p = priors;
        p.gps.lat = bad;
        let r = w.localizer.localize(&q.image, &p);
        assert!(matches!(r, Err(CoreError::InvalidInput { .. })), "lat {bad}: {r:?}");
    }
    let mut p = priors;
    p.gps_accuracy_m = f64::NAN;
    assert!(matches!(w.localizer.localize(&q.image, &p), Err(CoreError::InvalidInput { .. })));

    // A pack built with the SIFT baseline refuses any other model when opened.
    for other in [
        DescriptorModel::Learned { weights: b"other weights".to_vec() },
        DescriptorModel::HardTFeat { npz: b"other weights".to_vec() },
    ] {
        let pack = PackReader::from_bytes(&w.pack_bytes, None).unwrap();
        let err = Localizer::open(vec![pack], other).unwrap_err();
        assert!(matches!(err, CoreError::ModelMismatch { .. }), "{err:?}");
    }
}

/// Real DEMs never agree exactly: the pack is built from the SRTM `.hgt` tile, the queries
/// are rendered from the same data resampled to 90 m in UTM (the GeoTIFF). At least 3 of
/// the 4 queries must localize, each within 2 degrees (the eval's success criterion: the
/// resampling moves ridges by tens of metres) and the best within 0.5 degrees. Measured:
/// 4 of 4 at 0.11-1.17 degrees with the query DoG in the pack views' doubled scale space,
/// 1 of 4 in Lowe's.
#[test]
fn e2e_dem_mismatch_still_localizes() {
    let Some(data) = lsar_tests::shared_data_dir() else {
        eprintln!("skipped: ../shared/data is absent");
        return;
    };
    let dir = data.join("dem/srtm3_N44E005");
    let hgt = read_dem(&dir.join("N44E005.hgt"), None).unwrap();
    let tif = read_dem(&dir.join("N44E005_UTM.tif"), None).unwrap();
    let pack_model = TerrainModel::new(Dem::new(vec![hgt], Vertical::Egm96)).unwrap();
    let query_model = TerrainModel::new(Dem::new(vec![tif], Vertical::Egm96)).unwrap();
    let path =
        std::env::temp_dir().join(format!("lsar-e2e-n44e005-{}.lsarpack", std::process::id()));
    // Around Mont Ventoux (44.174 N, 5.279 E).
    tiny_sift_pack(&pack_model, 44.17, 5.25, 6.0, &path);
    let pack = PackReader::open(&path, None).unwrap();
    let _ = std::fs::remove_file(&path);
    let cameras = cameras_near_viewpoints(&query_model, &pack, 4);
    let localizer = Localizer::open(vec![pack], DescriptorModel::Sift).unwrap();
    let mut localized = 0;
    let mut best = f64::INFINITY;
    for (i, truth) in cameras.into_iter().enumerate() {
        let q = render_query(&query_model, truth);
        let priors = Priors::from_gps(gps_offset(&q.truth, 20.0, -20.0), 30.0);
        match localize(&localizer, &q.image, &priors) {
            Ok(found) => {
                let (rot, centre, fov) = errors(&found, &q.truth);
                eprintln!(
                    "DEM mismatch query {i}: rot {rot:.3} deg, centre {centre:.1} m, fov {fov:.3} deg, inliers {}",
                    found.inliers
                );
                assert!(rot < 2.0, "query {i}: rotation error {rot} deg");
                localized += 1;
                best = best.min(rot);
            }
            Err(n) => eprintln!("DEM mismatch query {i}: {n}"),
        }
    }
    assert!(localized >= 3, "{localized} of 4 queries localized across the DEM mismatch");
    assert!(best < 0.5, "best rotation error {best} deg");
}
