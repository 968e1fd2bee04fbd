//! A simulated AR session whose visual fixes come from the real Localizer: procedural terrain
//! (seed 1), a tiny SIFT-baseline pack built once (the `lsar demo` settings: 512 px views, 6
//! per viewpoint, 400 keypoints each), a camera 50 m above the ground near a viewpoint
//! panning +-6 degrees and tilting, frames rendered by the desktop renderer at the
//! ground-truth pose *in the pack's own style* (`Style::Render`: the SIFT baseline does not
//! cross the render-to-photo gap reliably, see `lsar demo`), localized with GPS, compass,
//! gravity and the exact FOV as priors, and fed through `VisualFix::from_localization`,
//! delivered 0.25 s after capture. The phone: gyro bias 0.0112 rad/s and white noise, gravity
//! with 0.3 degree noise, a compass 7 degrees off with 2 degree noise at 10 Hz.
//!
//! Checks the criterion (tracked orientation error under 0.5 degrees after the first
//! fix; see `core/engine/tests/tracker.rs` for the cold-start first second), the compass bias
//! estimate converging to 7 degrees, and a wrong fix (the Localizer's correct pose of a frame
//! turned 15 degrees away, offered as the current frame) rejected with its reason.
//! Run in release: `cargo test -p lsar-desktop --release --test tracker_rendered`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test set-up and checks

use lsar_core::geometry::{Camera, CameraPose, LocalFrame};
use lsar_core::localizer::{FovPrior, HeadingPrior};
use lsar_core::pack::PackReader;
use lsar_core::tracker::{
    CompassReading, FixOutcome, FixRejection, FrameInput, GpsFix, RotationInput, Tracker,
    TrackerOptions, VisualFix,
};
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localizer, Priors};
use lsar_desktop::dem::{Dem, Vertical};
use lsar_desktop::pack_build::{
    BuildConfig, Describer, DescriptorChoice, PoiEntry, Profile, auto_pois, bounds_around,
    build_pack,
};
use lsar_desktop::render::{
    CameraHeight, RenderCamera, RenderOptions, Style, TerrainModel, camera_position, render_view,
};
use lsar_desktop::synth::{DEFAULT_CENTER, SynthParams, synthesize};
use nalgebra::{UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const HZ: f64 = 30.0;
const SESSION_S: f64 = 20.0;
const FIRST_FIX_S: f64 = 1.0;
const LATENCY_S: f64 = 0.25;
const COMPASS_BIAS_DEG: f64 = 7.0;
const QUERY_FOV_DEG: f64 = 55.0;
const QUERY_SIZE: (u32, u32) = (800, 600);
/// When the wrong fix is offered, seconds.
const WRONG_FIX_S: f64 = 12.0;

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn gauss3(rng: &mut ChaCha8Rng) -> Vector3<f64> {
    Vector3::new(gauss(rng), gauss(rng), gauss(rng))
}

/// The terrain model, its pack (built once into a temporary file) and the base camera.
struct Scene {
    model: TerrainModel,
    localizer: Localizer,
    position: lsar_core::geometry::Geodetic,
    base_yaw_deg: f64,
}

fn scene() -> Scene {
    let terrain = synthesize(&SynthParams { seed: 1, ..SynthParams::default() }).unwrap();
    let named: Vec<PoiEntry> = terrain.summits.iter().map(PoiEntry::from).collect();
    let model = TerrainModel::new(Dem::new(vec![terrain.grid], Vertical::Egm96)).unwrap();
    let (lat, lon) = DEFAULT_CENTER;
    let bounds = bounds_around(lat, lon, 8.0).unwrap();
    let mut config = BuildConfig::for_profile(Profile::Tiny, "tracker-rendered", bounds);
    config.created_unix_s = 0;
    config.size_px = 512;
    config.views = 6;
    config.features.max_keypoints = 400;
    let pois = auto_pois(model.dem(), &bounds, 100.0, 24, &named);
    let describer = Describer::load(&DescriptorChoice::Sift, None).unwrap();
    let path = std::env::temp_dir().join(format!("lsar-tracker-{}.lsarpack", std::process::id()));
    let hidden = indicatif::ProgressBar::hidden();
    build_pack(&model, &describer, &pois, &config, &path, &hidden).unwrap();
    let pack = PackReader::open(&path, None).unwrap();
    std::fs::remove_file(&path).ok(); // the mapping stays valid
    // Near the viewpoint whose view holds the most keypoints, as `lsar demo` does.
    let mut best: Option<([f64; 3], f64, u32)> = None;
    for (i, vp) in pack.viewpoints().iter().enumerate() {
        for view in pack.viewpoint_views(i).unwrap() {
            if best.is_none_or(|b| view.keypoint_count > b.2) {
                best = Some((vp.position_enu, view.yaw_deg, view.keypoint_count));
            }
        }
    }
    let (p, yaw, _) = best.unwrap();
    let near =
        pack.local_frame().geodetic_from_enu(&Vector3::new(p[0] + 150.0, p[1] + 100.0, p[2]));
    let position =
        camera_position(&model, near.lat, near.lon, CameraHeight::AboveGround(50.0)).unwrap();
    let localizer = Localizer::open(vec![pack], DescriptorModel::Sift).unwrap();
    Scene { model, localizer, position, base_yaw_deg: yaw + 8.0 }
}

impl Scene {
    /// Ground-truth yaw, pitch, roll (degrees) at time t.
    fn angles(&self, t: f64) -> (f64, f64, f64) {
        let tau = std::f64::consts::TAU;
        (
            self.base_yaw_deg + 6.0 * (tau * t / 12.0).sin(),
            1.0 + 1.5 * (tau * t / 9.0).sin(),
            1.0 + (tau * t / 7.0).sin(),
        )
    }

    fn pose(&self, t: f64) -> CameraPose {
        let (y, p, r) = self.angles(t);
        CameraPose::from_enu_angles(&self.position, y, p, r)
    }

    /// The Localizer's fix of the frame rendered at the truth pose at `t` turned by
    /// `extra_yaw_deg`, stamped with `t`; `None` when it is not localized.
    fn localize(&self, t: f64, extra_yaw_deg: f64) -> Option<VisualFix> {
        let (y, p, r) = self.angles(t);
        let k = Camera::from_hfov_deg(QUERY_SIZE.0, QUERY_SIZE.1, QUERY_FOV_DEG);
        let cam = RenderCamera::from_angles(&self.position, y + extra_yaw_deg, p, r, k);
        let view = render_view(&self.model, &cam, &RenderOptions::default(), Style::Render);
        let rgb = view.unwrap().colour;
        let image = Image::from_u8(rgb.width() as usize, rgb.height() as usize, 3, rgb.as_raw());
        let down = cam.pose.rotation() * down_ecef(&self.position);
        let priors = Priors {
            heading: Some(HeadingPrior {
                yaw_deg: y + extra_yaw_deg + COMPASS_BIAS_DEG,
                accuracy_deg: 15.0,
            }),
            gravity_down_in_cam: Some([down.x, down.y, down.z]),
            fov: Some(FovPrior::exact(QUERY_FOV_DEG)),
            ..Priors::from_gps(self.position, 20.0)
        };
        let outcome = self.localizer.localize(&image.unwrap(), &priors).unwrap();
        outcome.ok().map(|loc| VisualFix::from_localization(&loc, t).unwrap())
    }
}

/// The local vertical, pointing down, in ECEF.
fn down_ecef(position: &lsar_core::geometry::Geodetic) -> Vector3<f64> {
    LocalFrame::new(*position).ecef_from_enu_rotation() * Vector3::new(0.0, 0.0, -1.0)
}

fn error_deg(a: &CameraPose, b: &CameraPose) -> f64 {
    a.quaternion().angle_to(&b.quaternion()).to_degrees()
}

#[test]
fn session_with_fixes_from_the_localizer_on_rendered_frames() {
    let t0 = std::time::Instant::now();
    let scene = scene();
    let built_s = t0.elapsed().as_secs_f64();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let gyro_bias = Vector3::new(0.006, -0.008, 0.005);
    let mut tracker = Tracker::new(TrackerOptions::default()).unwrap();
    let (mut fix_errors, mut failed, mut frames) = (vec![], 0, vec![]);
    let mut in_flight: Option<(f64, Option<VisualFix>)> = None;
    let mut first_fix: Option<f64> = None;
    let mut wrong = None;
    let mut k = 0usize;
    while (k as f64) / HZ < SESSION_S {
        k += 1;
        let (t, dt) = (k as f64 / HZ, 1.0 / HZ);
        let (prev, now) = (scene.pose(t - dt), scene.pose(t));
        // Body rotation since the previous frame, camera frame: R_prev R_now^T.
        let body = UnitQuaternion::from_matrix(&(prev.rotation() * now.rotation().transpose()));
        let rate = body.scaled_axis() / dt + gyro_bias + gauss3(&mut rng) * (2e-4 / dt.sqrt());
        let down = now.rotation() * down_ecef(&scene.position);
        let noise = UnitQuaternion::from_scaled_axis(gauss3(&mut rng) * 0.3f64.to_radians());
        let yaw = now.angles_deg().yaw_deg;
        let input = FrameInput {
            timestamp_s: t,
            rotation: RotationInput::Rate(rate),
            gravity_in_cam: Some(noise * down),
            compass: k.is_multiple_of(3).then(|| CompassReading {
                yaw_deg: yaw + COMPASS_BIAS_DEG + 2.0 * gauss(&mut rng),
                accuracy_deg: 0.0,
            }),
            gps: (k % 30 == 1).then_some(GpsFix { position: scene.position, accuracy_m: 5.0 }),
        };
        tracker.update(&input).unwrap();
        if let Some((t_cap, fix)) = in_flight.filter(|(c, _)| t >= c + LATENCY_S) {
            in_flight = None;
            match fix {
                Some(fix) => {
                    fix_errors.push(error_deg(&fix.cam_from_world, &scene.pose(t_cap)));
                    let outcome = tracker.apply_fix(&fix);
                    assert!(matches!(outcome, FixOutcome::Accepted { .. }), "{outcome:?} at {t}");
                    first_fix.get_or_insert(t);
                }
                None => failed += 1,
            }
        }
        if wrong.is_none() && t >= WRONG_FIX_S {
            let fix = scene.localize(t, 15.0).expect("the turned frame is localized");
            wrong = Some(tracker.apply_fix(&fix));
        }
        if in_flight.is_none() && t >= FIRST_FIX_S && tracker.needs_fix().is_some() {
            in_flight = Some((t, scene.localize(t, 0.0)));
        }
        let Some(s) = tracker.state() else { continue };
        frames.push((t, error_deg(&s.filter_pose, &now), error_deg(&s.pose, &now)));
    }
    let first = first_fix.expect("no fix accepted");
    let worst = |from: f64, i: usize| {
        frames
            .iter()
            .filter(|f| f.0 >= from)
            .map(|f| if i == 1 { f.1 } else { f.2 })
            .fold(0.0, f64::max)
    };
    let (filter, shown) = (worst(first, 1), worst(first + 0.3, 2));
    let (bias, bias_sigma) = tracker.compass_bias_deg().unwrap();
    let fix_max = fix_errors.iter().copied().fold(0.0, f64::max);
    println!(
        "pack and scene in {built_s:.1} s, session in {:.1} s; {} fixes from the Localizer \
         (worst {fix_max:.3} deg from the truth), {failed} not localized; worst tracked error \
         after the first fix {filter:.3} deg (filter), {shown:.3} deg (displayed); compass \
         bias {bias:.2} +- {bias_sigma:.2} deg; wrong fix: {wrong:?}",
        t0.elapsed().as_secs_f64() - built_s,
        fix_errors.len()
    );
    assert!(fix_errors.len() >= 5 && failed * 5 <= fix_errors.len(), "{failed} failed");
    assert!(fix_max < 0.2, "a Localizer fix is {fix_max} deg off");
    assert!(filter < 0.5, "filter error {filter} deg after the first fix");
    assert!(shown < 0.5, "displayed error {shown} deg after the first fix");
    assert!((bias - COMPASS_BIAS_DEG).abs() < 1.0, "compass bias {bias}");
    let Some(FixOutcome::Rejected(FixRejection::ContradictsTrack { angle_deg, .. })) = wrong else {
        panic!("the turned fix was not rejected: {wrong:?}")
    };
    assert!((angle_deg - 15.0).abs() < 1.0, "{angle_deg}");
}
