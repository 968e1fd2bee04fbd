//! Per-frame cost of the `Tracker`: one `update` (gyro rate, gravity, compass every third
//! frame; also with the phone still, where the still detector tests its longest stretch)
//! plus `labels` for 50 POIs (projection, smoothing, declutter with hysteresis); the
//! phone pans +-23 degrees around north, where the POIs are. Also the cost of one visual fix
//! captured 8 frames (0.27 s) before it is applied (`update` + `apply_fix`, the fix being the
//! tracker's own pose of that frame, so it is accepted).
//!
//! Run: `CARGO_TARGET_DIR=target-track cargo bench -p lsar-core --bench tracker`.
#![allow(clippy::unwrap_used)] // benchmark set-up

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lsar_core::geometry::{Camera, Geodetic, LocalFrame};
use lsar_core::overlay::{FixedUndulation, NoOcclusion, Poi, ResolvedPoi};
use lsar_core::tracker::{
    CompassReading, FixOutcome, FrameInput, GpsFix, LabelOptions, RotationInput, Tracker,
    TrackerOptions, VisualFix,
};
use nalgebra::Vector3;

fn position() -> Geodetic {
    Geodetic::new(46.0, 7.5, 2500.0)
}

/// 50 peaks spread over +-40 degrees around north, 5-30 km away.
fn pois() -> Vec<ResolvedPoi> {
    let frame = LocalFrame::new(position());
    (0..50)
        .map(|i| {
            let f = f64::from(i);
            let az = (-40.0 + 80.0 * (f * 0.618_033_988_7).fract()).to_radians();
            let d = 5000.0 + 25_000.0 * (f * 0.414_213_562).fract();
            let up = 100.0 + 900.0 * (f * 0.732_050_807).fract();
            let g = frame.geodetic_from_enu(&Vector3::new(d * az.sin(), d * az.cos(), up));
            let poi = Poi {
                name: format!("Peak {i}"),
                lat: g.lat,
                lon: g.lon,
                elevation_msl: g.height,
                prominence: Some(50.0 + 20.0 * f),
            };
            poi.resolve(&FixedUndulation(0.0)).unwrap()
        })
        .collect()
}

fn frame(k: u32) -> FrameInput {
    let t = f64::from(k) / 30.0;
    FrameInput {
        timestamp_s: t,
        rotation: RotationInput::Rate(Vector3::new(0.0, 0.2 * (t * 0.5).cos(), 0.0)),
        gravity_in_cam: Some(Vector3::new(0.02, 0.999, -0.03)),
        compass: k.is_multiple_of(3).then_some(CompassReading { yaw_deg: 5.0, accuracy_deg: 5.0 }),
        gps: (k == 0).then_some(GpsFix { position: position(), accuracy_m: 5.0 }),
    }
}

fn bench(c: &mut Criterion) {
    let camera = Camera::from_hfov_deg(1920, 1080, 65.0);
    let pois = pois();
    let options = LabelOptions::default();
    let mut tracker = Tracker::new(TrackerOptions::default()).unwrap();
    let mut k = 0;
    let mut n_labels = 0;
    while k < 30 {
        tracker.update(&frame(k)).unwrap();
        n_labels = tracker.labels(&camera, &pois, &NoOcclusion, &options).unwrap().len();
        k += 1;
    }
    eprintln!("labels drawn in the benchmark frame: {n_labels} of {}", pois.len());
    c.bench_function("tracker update only", |b| {
        b.iter(|| {
            k += 1;
            black_box(tracker.update(&frame(k)).unwrap())
        });
    });
    // A still phone: the still detector holds and tests its longest stretch (2 s, 60 frames).
    let mut still = Tracker::new(TrackerOptions::default()).unwrap();
    let still_frame = |j: u32| FrameInput {
        rotation: RotationInput::Rate(Vector3::new(0.006, -0.008, 0.005)),
        ..frame(j)
    };
    let mut j = 0;
    still.update(&still_frame(j)).unwrap();
    c.bench_function("tracker update only, phone still", |b| {
        b.iter(|| {
            j += 1;
            black_box(still.update(&still_frame(j)).unwrap())
        });
    });
    eprintln!("still stretches used: {:?}", still.still_counts());
    c.bench_function("tracker update + labels (50 POIs)", |b| {
        b.iter(|| {
            k += 1;
            tracker.update(&frame(k)).unwrap();
            black_box(tracker.labels(&camera, &pois, &NoOcclusion, &options).unwrap())
        });
    });
    let mut past = std::collections::VecDeque::new();
    c.bench_function("tracker update + apply_fix (0.27 s late)", |b| {
        b.iter(|| {
            k += 1;
            let state = tracker.update(&frame(k)).unwrap().unwrap();
            past.push_back(state);
            if past.len() > 8 {
                let then = past.pop_front().unwrap();
                let fix = VisualFix {
                    cam_from_world: then.filter_pose,
                    timestamp_s: then.timestamp_s,
                    confidence: 0.9,
                    inliers: 100,
                };
                let outcome = tracker.apply_fix(&fix);
                debug_assert!(matches!(outcome, FixOutcome::Accepted { .. }));
                black_box(outcome);
            }
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
