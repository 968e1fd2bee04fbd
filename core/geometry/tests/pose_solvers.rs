//! Minimal solvers on seeded synthetic problems: noise-free recovery, failure rates over
//! 10,000 problems (random, terrain, terrain + 6.4e6 m ECEF-like offset), the Bujnak P4Pf
//! test vectors, and degenerate / hostile input.
#![allow(clippy::unwrap_used, clippy::neg_cmp_op_on_partial_ord, clippy::type_complexity)]

use lsar_geometry::absolute_pose::synth::{self, Problem, ProblemSpec, Scene};
use lsar_geometry::solvers::{FocalPose, Gravity, epnp, p3p, p4pf, up2p, up3pf};
use nalgebra::{Matrix3, Point3, Vector2, Vector3};

const ECEF_OFFSET: f64 = 6.4e6;

/// Relative error of a solution: `|R - R_gt|_F + |C - C_gt| / mean depth + |f - f_gt| / f_gt`.
fn rel_error(est: &FocalPose, truth: &FocalPose, p: &Problem) -> f64 {
    let c = truth.center();
    let depth =
        p.points_3d.iter().map(|x| (x.coords - c).norm()).sum::<f64>() / p.points_3d.len() as f64;
    (est.rotation - truth.rotation).norm()
        + (est.center() - c).norm() / depth
        + (est.focal - truth.focal).abs() / truth.focal
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    P3p,
    P4pf,
    Up2p,
    Up3pf,
    Epnp,
}

/// Runs `kind` on one noise-free problem; returns the best error (INFINITY if no solution)
/// and the number of solutions.
fn solve_one(kind: Kind, p: &Problem, out: &mut Vec<FocalPose>) -> (f64, usize) {
    let xn = p.normalized();
    let xc = p.centred_pixels();
    let w = &p.points_3d;
    let g = Gravity { down_in_cam: p.down_in_cam(), down_in_world: p.down_in_world };
    let mut truth = p.pose;
    let n = match kind {
        Kind::P3p => {
            truth.focal = 1.0;
            p3p(&[xn[0], xn[1], xn[2]], &[w[0], w[1], w[2]], out)
        }
        Kind::P4pf => p4pf(&[xc[0], xc[1], xc[2], xc[3]], &[w[0], w[1], w[2], w[3]], out),
        Kind::Up2p => {
            truth.focal = 1.0;
            up2p(&[xn[0], xn[1]], &[w[0], w[1]], &g, out)
        }
        Kind::Up3pf => up3pf(&[xc[0], xc[1], xc[2]], &[w[0], w[1], w[2]], &g, out),
        Kind::Epnp => {
            truth.focal = 1.0;
            epnp(&xn, w, out)
        }
    };
    let best = out.iter().map(|s| rel_error(s, &truth, p)).fold(f64::INFINITY, f64::min);
    (best, n)
}

struct Rates {
    fail: f64,
    median: f64,
    p95: f64,
    mean_solutions: f64,
}

fn rates(kind: Kind, scene: Scene, offset: f64, trials: u64) -> Rates {
    let points = if kind == Kind::Epnp { 10 } else { 4 };
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let mut sols = 0;
    for seed in 0..trials {
        let mut rng = synth::rng(seed);
        let spec = ProblemSpec { world_offset: offset, ..ProblemSpec::exact(scene, points) };
        let p = synth::generate(&spec, &mut rng);
        let (e, n) = solve_one(kind, &p, &mut out);
        errs.push(e);
        sols += n;
    }
    errs.sort_by(f64::total_cmp);
    let fail = errs.iter().filter(|&&e| !(e < 1e-6)).count() as f64 / trials as f64;
    Rates {
        fail,
        median: errs[errs.len() / 2],
        p95: errs[errs.len() * 95 / 100],
        mean_solutions: sols as f64 / trials as f64,
    }
}

fn report(kind: Kind, scene: Scene, offset: f64, trials: u64) -> Rates {
    let r = rates(kind, scene, offset, trials);
    println!(
        "{kind:?} {scene:?} offset {offset:e}: fail {:.4}%  median {:.2e}  p95 {:.2e}  solutions {:.2}",
        r.fail * 100.0,
        r.median,
        r.p95,
        r.mean_solutions
    );
    r
}

const TRIALS: u64 = 10_000;

#[test]
fn p3p_recovers_the_pose() {
    for (scene, offset) in
        [(Scene::Random, 0.0), (Scene::Terrain, 0.0), (Scene::Terrain, ECEF_OFFSET)]
    {
        let r = report(Kind::P3p, scene, offset, TRIALS);
        assert!(r.median < 1e-8, "{scene:?} {offset}: median {}", r.median);
        assert!(r.fail <= 1e-3, "{scene:?} {offset}: fail {}", r.fail);
    }
}

#[test]
fn p4pf_recovers_pose_and_focal() {
    let r = report(Kind::P4pf, Scene::Random, 0.0, TRIALS);
    assert!(r.median < 1e-8 && r.fail <= 1e-3, "random: {} {}", r.median, r.fail);
    for offset in [0.0, ECEF_OFFSET] {
        let r = report(Kind::P4pf, Scene::Terrain, offset, TRIALS);
        // PoseLib's P4Pf fails on ~3 % of terrain problems (pose-anchors.md); ours must beat it.
        assert!(r.median < 1e-8 && r.fail < 0.03, "terrain {offset}: {} {}", r.median, r.fail);
    }
}

#[test]
fn upright_solvers_recover_the_pose() {
    for kind in [Kind::Up2p, Kind::Up3pf] {
        for (scene, offset) in
            [(Scene::Random, 0.0), (Scene::Terrain, 0.0), (Scene::Terrain, ECEF_OFFSET)]
        {
            let r = report(kind, scene, offset, TRIALS);
            assert!(r.median < 1e-8, "{kind:?} {scene:?} {offset}: median {}", r.median);
            assert!(r.fail <= 1e-2, "{kind:?} {scene:?} {offset}: fail {}", r.fail);
        }
    }
}

#[test]
fn epnp_recovers_the_pose() {
    for (scene, offset) in
        [(Scene::Random, 0.0), (Scene::Terrain, 0.0), (Scene::Terrain, ECEF_OFFSET)]
    {
        let r = report(Kind::Epnp, scene, offset, 2_000);
        assert!(r.median < 1e-8, "{scene:?} {offset}: median {}", r.median);
        assert!(r.fail <= 1e-2, "{scene:?} {offset}: fail {}", r.fail);
    }
}

/// A noise-free problem whose world points are moved onto a plane: for the terrain scene a
/// horizontal ground 500 m below the camera, otherwise a plane through the points' centroid
/// tilted 35 degrees from the image plane. Image points are re-projected; `None` if a point
/// ends up behind the camera.
fn planar_problem(scene: Scene, offset: f64, n: usize, seed: u64) -> Option<Problem> {
    let spec = ProblemSpec { world_offset: offset, ..ProblemSpec::exact(scene, n) };
    let mut p = synth::generate(&spec, &mut synth::rng(seed));
    let r = p.pose.rotation;
    let c = p.pose.center();
    let (origin, normal) = if scene == Scene::Terrain {
        (c - Vector3::new(0.0, 0.0, 500.0), Vector3::z())
    } else {
        let centroid = p.points_3d.iter().map(|x| x.coords).sum::<Vector3<f64>>() / n as f64;
        let tilt = 35f64.to_radians();
        let normal = r.transpose() * Vector3::new(tilt.sin(), 0.0, tilt.cos());
        (centroid, normal)
    };
    for (x, w) in p.points_2d.iter_mut().zip(p.points_3d.iter_mut()) {
        *w = Point3::from(w.coords - normal * (w.coords - origin).dot(&normal));
        let q = p.pose.transform(&w.coords);
        if !(q.z > 0.0) {
            return None;
        }
        *x = Vector2::new(q.x / q.z, q.y / q.z) * p.camera.focal_px + p.camera.principal_point;
    }
    Some(p)
}

#[test]
fn epnp_planar_case() {
    let mut out = Vec::new();
    for (scene, offset) in
        [(Scene::Generic, 0.0), (Scene::Terrain, 0.0), (Scene::Terrain, ECEF_OFFSET)]
    {
        let mut errs = Vec::new();
        for seed in 0..1000 {
            let Some(p) = planar_problem(scene, offset, 10, seed) else { continue };
            let (e, _) = solve_one(Kind::Epnp, &p, &mut out);
            errs.push(e);
        }
        errs.sort_by(f64::total_cmp);
        let fail = errs.iter().filter(|&&e| !(e < 1e-6)).count() as f64 / errs.len() as f64;
        let median = errs[errs.len() / 2];
        println!(
            "EPnP planar {scene:?} offset {offset:e}: {} problems, fail {:.2}%, median {median:.2e}",
            errs.len(),
            fail * 100.0
        );
        assert!(errs.len() > 900, "{scene:?}: only {} problems", errs.len());
        assert!(median < 1e-8 && fail <= 1e-2, "{scene:?} {offset}: median {median} fail {fail}");
    }
    // Points 1e-3 of their spread off the plane take the general path and stay accurate.
    let mut p = planar_problem(Scene::Generic, 0.0, 12, 5).unwrap();
    let mut rng = synth::rng(99);
    let spread = p.points_3d.iter().map(|x| (x - p.points_3d[0]).norm()).fold(0.0, f64::max);
    for (x, w) in p.points_2d.iter_mut().zip(p.points_3d.iter_mut()) {
        *w +=
            Vector3::new(synth::normal(&mut rng), synth::normal(&mut rng), synth::normal(&mut rng))
                * 1e-3
                * spread;
        let q = p.pose.transform(&w.coords);
        *x = Vector2::new(q.x / q.z, q.y / q.z) * p.camera.focal_px + p.camera.principal_point;
    }
    let (e, n) = solve_one(Kind::Epnp, &p, &mut out);
    assert!(n == 1 && e < 1e-6, "near-planar: {e}");
}

fn load_vectors() -> Option<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/solver/p4pf_bujnak_test_vectors.json"
    );
    match std::fs::read_to_string(path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            println!("skipping: {path} not found");
            None
        }
    }
}

fn vector_case(
    v: &serde_json::Value,
) -> ([Vector2<f64>; 4], [Point3<f64>; 4], Matrix3<f64>, Vector3<f64>) {
    let num = |x: &serde_json::Value| x.as_f64().unwrap();
    let m = &v["m_2x4"];
    let w = &v["M_3x4_cols_are_points"];
    let x = std::array::from_fn(|i| Vector2::new(num(&m[0][i]), num(&m[1][i])));
    let xw = std::array::from_fn(|i| Point3::new(num(&w[0][i]), num(&w[1][i]), num(&w[2][i])));
    let r = Matrix3::from_fn(|i, j| num(&v["R_gt"][i][j]));
    let t = Vector3::from_fn(|i, _| num(&v["t_gt"][i]));
    (x, xw, r, t)
}

#[test]
fn p4pf_bujnak_test_vectors() {
    let Some(data) = load_vectors() else { return };
    let f_gt = data["f_gt"].as_f64().unwrap();
    let (x, xw, r, t) = vector_case(&data["general"]);
    let mut out = Vec::new();
    assert_eq!(p4pf(&x, &xw, &mut out), 1);
    let s = &out[0];
    assert!((s.focal - f_gt).abs() < 1e-9 * f_gt, "focal {}", s.focal);
    assert!((s.rotation - r).amax() < 1e-9, "rotation {}", (s.rotation - r).amax());
    assert!(
        (s.translation - t).amax() < 1e-9 * t.norm(),
        "translation {}",
        (s.translation - t).amax()
    );
    // Planar: all four points have Z = 0. No solution, never a wrong one.
    let (x, xw, _, _) = vector_case(&data["planar"]);
    assert_eq!(p4pf(&x, &xw, &mut out), 0);
    assert!(out.is_empty());
}

fn exact_problem(scene: Scene, n: usize, seed: u64) -> Problem {
    synth::generate(&ProblemSpec::exact(scene, n), &mut synth::rng(seed))
}

#[test]
fn degenerate_and_hostile_input_gives_no_solution() {
    let p = exact_problem(Scene::Generic, 10, 3);
    let (xn, xc, w) = (p.normalized(), p.centred_pixels(), p.points_3d.clone());
    let g = Gravity { down_in_cam: p.down_in_cam(), down_in_world: p.down_in_world };
    let mut out = Vec::new();
    // Collinear world points.
    let line: Vec<Point3<f64>> = (0..4).map(|i| w[0] + (w[1] - w[0]) * f64::from(i)).collect();
    assert_eq!(p3p(&[xn[0], xn[1], xn[2]], &[line[0], line[1], line[2]], &mut out), 0);
    assert_eq!(
        p4pf(&[xc[0], xc[1], xc[2], xc[3]], &[line[0], line[1], line[2], line[3]], &mut out),
        0
    );
    assert_eq!(epnp(&xn[..4], &line, &mut out), 0);
    // Duplicated points.
    assert_eq!(p3p(&[xn[0], xn[0], xn[2]], &[w[0], w[0], w[2]], &mut out), 0);
    assert_eq!(p4pf(&[xc[0], xc[1], xc[1], xc[3]], &[w[0], w[1], w[1], w[3]], &mut out), 0);
    assert_eq!(up2p(&[xn[0], xn[0]], &[w[0], w[0]], &g, &mut out), 0);
    assert_eq!(up3pf(&[xc[0], xc[0], xc[2]], &[w[0], w[0], w[2]], &g, &mut out), 0);
    // NaN and infinity anywhere.
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut xb = xn.clone();
        xb[1].x = bad;
        assert_eq!(p3p(&[xb[0], xb[1], xb[2]], &[w[0], w[1], w[2]], &mut out), 0);
        assert_eq!(epnp(&xb, &w, &mut out), 0);
        let mut wb = w.clone();
        wb[2].z = bad;
        assert_eq!(p3p(&[xn[0], xn[1], xn[2]], &[wb[0], wb[1], wb[2]], &mut out), 0);
        assert_eq!(p4pf(&[xc[0], xc[1], xc[2], xc[3]], &[wb[0], wb[1], wb[2], wb[3]], &mut out), 0);
        assert_eq!(up2p(&[xn[0], xn[1]], &[wb[0], wb[2]], &g, &mut out), 0);
        assert_eq!(up3pf(&[xc[0], xc[1], xc[2]], &[wb[0], wb[1], wb[2]], &g, &mut out), 0);
        let mut cb = xc.clone();
        cb[0].y = bad;
        assert_eq!(p4pf(&[cb[0], cb[1], cb[2], cb[3]], &[w[0], w[1], w[2], w[3]], &mut out), 0);
        let gb = Gravity { down_in_cam: Vector3::new(bad, 1.0, 0.0), ..g };
        assert_eq!(up2p(&[xn[0], xn[1]], &[w[0], w[1]], &gb, &mut out), 0);
    }
    // Too few points for EPnP; zero gravity.
    assert_eq!(epnp(&xn[..3], &w[..3], &mut out), 0);
    let g0 = Gravity { down_in_cam: Vector3::zeros(), ..g };
    assert_eq!(up2p(&[xn[0], xn[1]], &[w[0], w[1]], &g0, &mut out), 0);
}

#[test]
fn points_behind_the_camera_never_give_a_pose_that_sees_them_behind() {
    // Mirror the world points through the camera centre: the rays are the same, the points
    // are behind. Any solution must place all sample points in front of its camera, and
    // none may be the true pose.
    let mut out = Vec::new();
    for seed in 0..200 {
        let p = exact_problem(Scene::Generic, 4, seed);
        let c = p.pose.center();
        let back: Vec<Point3<f64>> =
            p.points_3d.iter().map(|x| Point3::from(c * 2.0 - x.coords)).collect();
        let (xn, xc) = (p.normalized(), p.centred_pixels());
        let truth_like = |s: &FocalPose| (s.rotation - p.pose.rotation).norm() < 1e-6;
        p3p(&[xn[0], xn[1], xn[2]], &[back[0], back[1], back[2]], &mut out);
        for s in &out {
            assert!(back[..3].iter().all(|x| s.transform(&x.coords).z > 0.0));
            assert!(!truth_like(s));
        }
        p4pf(&[xc[0], xc[1], xc[2], xc[3]], &[back[0], back[1], back[2], back[3]], &mut out);
        for s in &out {
            assert!(back[..4].iter().all(|x| s.transform(&x.coords).z > 0.0));
            assert!(!truth_like(s));
        }
    }
}
