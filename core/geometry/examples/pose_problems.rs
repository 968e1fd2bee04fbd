//! Writes seeded absolute-pose problems to a JSON file and solves them with lsar, for
//! `bench/pose_compare.py` (which solves the same file with PoseLib, pycolmap and OpenCV).
//!
//! ```text
//! pose_problems write FILE [TRIALS] [OFFSET_M]   # 1000 points, 50/80/90 % outliers, 1 px
//! pose_problems solve FILE [INDEX] [MODE]        # one JSON line per problem and mode
//!                                                # (MODE: unknown_f or known_f, default both)
//! ```
//! Protocol (pose-anchors.md section 3): "generic" scene, 1920x1080, threshold 4 px,
//! confidence 0.9999, at most 100,000 iterations; unknown focal gets only the image size.

use lsar_geometry::absolute_pose::synth::{self, Problem, ProblemSpec, Scene};
use lsar_geometry::absolute_pose::{AbsolutePoseOptions, FocalMode};
use lsar_geometry::solvers::FocalPose;
use lsar_geometry::{Camera, estimate_absolute_pose};
use nalgebra::{Matrix3, Point3, Vector2, Vector3};
use serde_json::{Value, json};

fn main() -> anyhow_free::Result {
    let args: Vec<String> = std::env::args().collect();
    let (Some(cmd), Some(file)) = (args.get(1), args.get(2)) else {
        return Err("usage: pose_problems write|solve FILE [TRIALS] [OFFSET_M]".into());
    };
    match cmd.as_str() {
        "write" => {
            let trials: u64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(10);
            let offset: f64 = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            write(file, trials, offset)
        }
        "solve" => {
            solve(file, args.get(3).and_then(|v| v.parse().ok()), args.get(4).map(String::as_str))
        }
        _ => Err(format!("unknown command {cmd}").into()),
    }
}

/// A tiny error alias so the example needs no extra dependency.
mod anyhow_free {
    pub type Result = std::result::Result<(), Box<dyn std::error::Error>>;
}

fn write(file: &str, trials: u64, offset: f64) -> anyhow_free::Result {
    let mut problems = Vec::new();
    for outliers in [0.5, 0.8, 0.9] {
        for k in 0..trials {
            let spec = ProblemSpec {
                outlier_ratio: outliers,
                noise_px: 1.0,
                world_offset: offset,
                ..ProblemSpec::exact(Scene::Generic, 1000)
            };
            let p = synth::generate(&spec, &mut synth::rng(1000 + k));
            problems.push(json!({
                "outliers": outliers,
                "seed": 1000 + k,
                "width": p.camera.width,
                "height": p.camera.height,
                "focal": p.camera.focal_px,
                "principal_point": [p.camera.principal_point.x, p.camera.principal_point.y],
                "R": (0..3).map(|i| (0..3).map(|j| p.pose.rotation[(i, j)]).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "t": [p.pose.translation.x, p.pose.translation.y, p.pose.translation.z],
                "x": p.points_2d.iter().map(|v| [v.x, v.y]).collect::<Vec<_>>(),
                "X": p.points_3d.iter().map(|v| [v.x, v.y, v.z]).collect::<Vec<_>>(),
                "inlier": p.is_inlier,
            }));
        }
    }
    std::fs::write(file, serde_json::to_string(&json!({ "problems": problems }))?)?;
    eprintln!("wrote {} problems to {file}", problems.len());
    Ok(())
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn load(p: &Value) -> Problem {
    let width = u32::try_from(p["width"].as_u64().unwrap_or(0)).unwrap_or(0);
    let height = u32::try_from(p["height"].as_u64().unwrap_or(0)).unwrap_or(0);
    let mut camera = Camera::new(width, height, num(&p["focal"]));
    camera.principal_point =
        Vector2::new(num(&p["principal_point"][0]), num(&p["principal_point"][1]));
    let rotation = Matrix3::from_fn(|i, j| num(&p["R"][i][j]));
    let translation = Vector3::from_fn(|i, _| num(&p["t"][i]));
    let arr = |key: &str| p[key].as_array().cloned().unwrap_or_default();
    Problem {
        camera,
        pose: FocalPose { rotation, translation, focal: camera.focal_px },
        points_2d: arr("x").iter().map(|v| Vector2::new(num(&v[0]), num(&v[1]))).collect(),
        points_3d: arr("X")
            .iter()
            .map(|v| Point3::new(num(&v[0]), num(&v[1]), num(&v[2])))
            .collect(),
        is_inlier: arr("inlier").iter().map(|v| v.as_bool().unwrap_or(false)).collect(),
        down_in_world: -Vector3::z(),
    }
}

fn solve(file: &str, only: Option<usize>, only_mode: Option<&str>) -> anyhow_free::Result {
    let data: Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    let all = data["problems"].as_array().cloned().unwrap_or_default();
    for (k, pv) in all.into_iter().enumerate() {
        if only.is_some_and(|o| o != k) {
            continue;
        }
        let p = load(&pv);
        let c = p.pose.center();
        let mut depths: Vec<f64> = p.points_3d.iter().map(|x| (x.coords - c).norm()).collect();
        depths.sort_by(f64::total_cmp);
        let median_depth = depths.get(depths.len() / 2).copied().unwrap_or(1.0);
        for (mode, focal) in [("unknown_f", FocalMode::Unknown), ("known_f", FocalMode::Known)] {
            if only_mode.is_some_and(|m| m != mode) {
                continue;
            }
            let camera = match focal {
                FocalMode::Known => p.camera,
                _ => Camera::new(p.camera.width, p.camera.height, 1920.0),
            };
            let o = AbsolutePoseOptions { focal, ..AbsolutePoseOptions::default() };
            let start = std::time::Instant::now();
            let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &camera, &o);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            let line = match est {
                Ok(e) => {
                    let (rot, dc, df) = synth::pose_error(&e.pose, &p.pose);
                    let true_in = p.is_inlier.iter().filter(|b| **b).count().max(1);
                    let hit =
                        e.inlier_mask.iter().zip(&p.is_inlier).filter(|(a, b)| **a && **b).count();
                    json!({ "method": format!("lsar_{mode}"), "outliers": pv["outliers"], "seed": pv["seed"],
                            "ms": ms, "rot_deg": rot, "ctr_rel": dc / median_depth, "f_rel": df,
                            "recall": hit as f64 / true_in as f64, "iters": e.ransac.iterations, "models": e.ransac.models_generated, "sprt_rejected": e.ransac.sprt_rejections, "lo": e.ransac.local_optimizations,
                            "success": rot < 1.0 && df < 0.05 })
                }
                Err(err) => json!({ "method": format!("lsar_{mode}"), "outliers": pv["outliers"],
                                    "seed": pv["seed"], "ms": ms, "success": false, "error": err.to_string() }),
            };
            println!("{line}");
        }
    }
    Ok(())
}
