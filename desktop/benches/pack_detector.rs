//! Which keypoint detector should pack views use? For each pack-side detector and each
//! query-side detector this counts the keypoints per 1024 px pack view and the correct
//! matches of a query rendered 290 m away (turned 10 degrees, 55 degree FOV, 1024 x 768) in
//! the photo style, and in the pack style as a same-domain control, with the SIFT-like
//! baseline and LandscapeAR's matcher (nearest neighbour from the smaller set into the
//! larger, one match per target). A match is correct when the pack keypoint's 3D point
//! projects within 8 px of the query keypoint (the Localizer's final re-matching radius).
//! Correct matches are what P4Pf + LO-RANSAC needs; the fraction correct sets its iterations.
//!
//! Scenes: procedural terrain (seed 5) and, when `../shared/data` is present, the SRTM tile
//! N44E005. Run: `cargo bench -p lsar-desktop --bench pack_detector` (prints a table; no
//! criterion timing: detection times are printed per configuration).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use lsar_desktop::dem::{Dem, Vertical, load_dems};
use lsar_desktop::pack_build::{
    Describer, DescriptorChoice, Detector, FeatureConfig, rendered_view_features, view_camera,
};
use lsar_desktop::render::{
    CameraHeight, RenderCamera, RenderOptions, RenderedView, Style, TerrainModel, camera_position,
    render_view,
};
use lsar_desktop::synth::{SynthParams, synthesize};
use lsar_geometry::{Camera, Geodetic, LocalFrame};
use lsar_pack::ViewParams;
use lsar_vision::keypoints::{DogConfig, GridConfig, detect_dog, detect_grid};
use lsar_vision::{
    Descriptors, Image, Keypoint, MatchOptions, PatchConfig, PatchExtractor, match_descriptors,
};
use nalgebra::{Vector2, Vector3};

/// A DoG configuration: contrast threshold, edge ratio, base blur, doubled input.
fn dog(contrast: f32, edge: f32, sigma0: f64, double: bool) -> DogConfig {
    let mut c =
        DogConfig { contrast_threshold: contrast, edge_threshold: edge, ..DogConfig::default() };
    c.scale_space.sigma0 = sigma0;
    c.scale_space.double_image = double;
    c
}

/// Pack-side candidates. `sift-*` follow OpenCV's SIFT, whose `contrastThreshold` is divided
/// by the 3 intervals before it is compared with |D| and which doubles the input: LandscapeAR
/// uses 0.02 / edge 15 / sigma 1.0 on renders and 0.01 / 10 / 1.0 on photos.
fn pack_detectors() -> Vec<(&'static str, Detector, DogConfig)> {
    let d = |c| (Detector::Dog, c);
    let v = vec![
        ("dog c0.01 (old default)", d(dog(0.01, 10.0, 1.6, false))),
        ("dog c0.0067 e15", d(dog(0.02 / 3.0, 15.0, 1.6, false))),
        ("dog c0.0033 e15", d(dog(0.01 / 3.0, 15.0, 1.6, false))),
        ("sift-render (c0.0067 e15 s1.0 x2)", d(dog(0.02 / 3.0, 15.0, 1.0, true))),
        ("sift-photo (c0.0033 e10 s1.0 x2)", d(dog(0.01 / 3.0, 10.0, 1.0, true))),
        ("grid 16", (Detector::Grid { stride: 16 }, DogConfig::default())),
    ];
    v.into_iter().map(|(n, (det, c))| (n, det, c)).collect()
}

/// Query-side candidates (as the Localizer detects: grey image, border 8 px, <= 4000).
fn query_detectors() -> Vec<(&'static str, Option<DogConfig>)> {
    vec![
        ("dog c0.01 (Localizer default)", Some(dog(0.01, 10.0, 1.6, false))),
        ("sift-photo (c0.0033 e10 s1.0 x2)", Some(dog(0.01 / 3.0, 10.0, 1.0, true))),
        ("grid 12", None),
    ]
}

fn query_keypoints(img: &Image, cfg: Option<&DogConfig>) -> Vec<Keypoint> {
    match cfg {
        Some(c) => {
            let c = DogConfig { max_keypoints: Some(4000), border: 8.0, ..c.clone() };
            detect_dog(&img.to_grey(), &c, None).unwrap()
        }
        None => {
            let g = GridConfig { stride: 12, margin: 8, ..GridConfig::default() };
            let mut k = detect_grid(img, &g, None).unwrap();
            k.truncate(4000);
            k
        }
    }
}

struct Scene {
    name: &'static str,
    model: TerrainModel,
    sites: Vec<(f64, f64)>,
}

fn scenes() -> Vec<Scene> {
    let p = SynthParams { seed: 5, size_m: 12_000.0, ..SynthParams::default() };
    let t = synthesize(&p).unwrap();
    let model = TerrainModel::new(Dem::new(vec![t.grid], Vertical::Egm96)).unwrap();
    let (lat, lon) = p.center;
    let frame = LocalFrame::new(Geodetic::new(lat, lon, 0.0));
    let sites = [(0.0, 0.0), (2000.0, -1000.0), (-1500.0, 1500.0)]
        .iter()
        .map(|&(e, n)| {
            let g = frame.geodetic_from_enu(&Vector3::new(e, n, 0.0));
            (g.lat, g.lon)
        })
        .collect();
    let mut out = vec![Scene { name: "procedural seed 5", model, sites }];
    let hgt = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/dem/srtm3_N44E005/N44E005.hgt"
    ));
    if hgt.exists() {
        let dem = load_dems(&[hgt], None, Vertical::Egm96).unwrap();
        let sites = vec![(44.20, 5.30), (44.45, 5.55), (44.70, 5.75)];
        out.push(Scene { name: "N44E005", model: TerrainModel::new(dem).unwrap(), sites });
    } else {
        println!("N44E005 skipped: ../shared/data is absent");
    }
    out
}

/// One pack view and its two queries (photo style, pack style).
struct Pair {
    frame: LocalFrame,
    params: ViewParams,
    pack: RenderedView,
    queries: [RenderedView; 2],
}

fn pairs(scene: &Scene) -> Vec<Pair> {
    let opts = RenderOptions::default();
    let mut out = Vec::new();
    for (i, &(lat, lon)) in scene.sites.iter().enumerate() {
        let above = CameraHeight::AboveGround(50.0);
        let Ok(pos) = camera_position(&scene.model, lat, lon, above) else { continue };
        let frame = LocalFrame::new(pos);
        let q = frame.geodetic_from_enu(&Vector3::new(250.0, 150.0, 0.0));
        let Ok(qpos) = camera_position(&scene.model, q.lat, q.lon, above) else { continue };
        for yaw in [0.0, 90.0, 180.0, 270.0] {
            let params = ViewParams {
                yaw_deg: yaw,
                pitch_deg: 0.0,
                roll_deg: 0.0,
                hfov_deg: 60.0,
                width: 1024,
                height: 1024,
            };
            let pack = render_view(&scene.model, &view_camera(&pos, &params), &opts, Style::Render)
                .unwrap();
            let k = Camera::from_hfov_deg(1024, 768, 55.0);
            let qcam = RenderCamera::from_angles(&qpos, yaw + 10.0, 1.0, 0.0, k);
            let seed = 5 + i as u64;
            let photo =
                render_view(&scene.model, &qcam, &opts, Style::Photo { seed: 100 + seed }).unwrap();
            let same = render_view(&scene.model, &qcam, &opts, Style::Render).unwrap();
            out.push(Pair { frame, params, pack, queries: [photo, same] });
        }
    }
    out
}

fn image(v: &RenderedView) -> Image {
    let (w, h) = (v.colour.width() as usize, v.colour.height() as usize);
    Image::from_u8(w, h, 3, v.colour.as_raw()).unwrap()
}

/// Keypoints and descriptors of one query image.
type QueryFeatures = (Vec<Keypoint>, Descriptors);

#[derive(Default, Clone, Copy)]
struct Tally {
    views: usize,
    pack_kps: usize,
    matches: [usize; 2],
    correct: [usize; 2],
    detect_s: f64,
}

fn main() {
    let describer = Describer::load(&DescriptorChoice::Sift, None).unwrap();
    for scene in scenes() {
        let t = Instant::now();
        let pairs = pairs(&scene);
        println!(
            "\n## {} ({} view pairs rendered in {:.1?})",
            scene.name,
            pairs.len(),
            t.elapsed()
        );
        // Query features once per query detector: keypoints, descriptors (true FOV).
        let queries: Vec<Vec<[QueryFeatures; 2]>> = query_detectors()
            .iter()
            .map(|(_, cfg)| {
                pairs
                    .iter()
                    .map(|p| {
                        p.queries.clone().map(|q| {
                            let img = image(&q);
                            let kps = query_keypoints(&img, cfg.as_ref());
                            let hfov = q.camera.intrinsics.hfov_deg().to_radians();
                            let ex = PatchExtractor::new(&img, hfov, &PatchConfig::default());
                            let patches = ex.unwrap().extract(&kps).unwrap();
                            (kps, describer.describe(&patches).unwrap())
                        })
                    })
                    .collect()
            })
            .collect();
        for (qi, (qname, _)) in query_detectors().iter().enumerate() {
            let n: usize = queries[qi].iter().map(|q| q[0].0.len()).sum();
            println!(
                "query {qname}: {:.0} keypoints per photo-style query",
                n as f64 / pairs.len() as f64
            );
        }
        println!(
            "\n| pack detector | query detector | pack kp/view | pack detect+describe s/view | photo: matches | photo: correct | photo: % correct | render: correct | render: % correct |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for (pname, detector, dog_cfg) in pack_detectors() {
            let cfg = FeatureConfig { detector, dog: dog_cfg, ..FeatureConfig::default() };
            let mut tallies = vec![Tally::default(); queries.len()];
            let mut detect_s = 0.0;
            let mut pack_kps = 0;
            for (pi, p) in pairs.iter().enumerate() {
                let t = Instant::now();
                let f =
                    rendered_view_features(&p.pack, &p.params, &p.frame, &describer, &cfg).unwrap();
                detect_s += t.elapsed().as_secs_f64();
                pack_kps += f.keypoints.len();
                let pack_desc = Descriptors::new(128, f.descriptors.clone()).unwrap();
                for (qi, tally) in tallies.iter_mut().enumerate() {
                    for (s, (kps, desc)) in queries[qi][pi].iter().enumerate() {
                        let m =
                            match_descriptors(&pack_desc, desc, &MatchOptions::default()).unwrap();
                        let cam = &p.queries[s].camera;
                        let ok = m.iter().filter(|m| {
                            let e = f.keypoints[m.query].point_enu.map(f64::from);
                            let ecef = p.frame.ecef_from_enu(&Vector3::new(e[0], e[1], e[2]));
                            let in_cam = cam.pose.transform_point(&ecef);
                            let kp = &kps[m.train];
                            cam.intrinsics
                                .project(&in_cam)
                                .is_some_and(|px| (px - Vector2::new(kp.x, kp.y)).norm() <= 8.0)
                        });
                        tally.correct[s] += ok.count();
                        tally.matches[s] += m.len();
                    }
                }
            }
            for (qi, (qname, _)) in query_detectors().iter().enumerate() {
                let t = Tally { views: pairs.len(), pack_kps, detect_s, ..tallies[qi] };
                let v = t.views.max(1) as f64;
                let pct = |s: usize| 100.0 * t.correct[s] as f64 / t.matches[s].max(1) as f64;
                println!(
                    "| {pname} | {qname} | {:.0} | {:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
                    t.pack_kps as f64 / v,
                    t.detect_s / v,
                    t.matches[0] as f64 / v,
                    t.correct[0] as f64 / v,
                    pct(0),
                    t.correct[1] as f64 / v,
                    pct(1),
                );
            }
        }
    }
}
