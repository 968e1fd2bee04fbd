//! Duplicate 3D points across the overlapping views of a viewpoint: the same build with and
//! without merging, compared keypoint by keypoint.

use std::collections::HashMap;

use lsar_desktop::pack_build::dedup::off_axis_rad;

use super::*;

/// One keypoint of a built pack with what the checks need.
struct Kp {
    viewpoint: usize,
    view_in_vp: usize,
    pixel: [f32; 2],
    point: Vector3<f64>,
    row: Vec<u32>,
    off_axis: f64,
}

fn params_of(v: &lsar_pack::View) -> ViewParams {
    ViewParams {
        yaw_deg: v.yaw_deg,
        pitch_deg: v.pitch_deg,
        roll_deg: v.roll_deg,
        hfov_deg: v.hfov_deg,
        width: v.width,
        height: v.height,
    }
}

fn keypoints_of(pack: &PackReader) -> Vec<Kp> {
    let d = pack.descriptors();
    let mut row = vec![0.0f32; d.dim()];
    let mut out = Vec::new();
    let mut global = 0;
    for (vi, _) in pack.viewpoints().iter().enumerate() {
        for (k, view) in pack.viewpoint_views(vi).unwrap().iter().enumerate() {
            let first = view.first_keypoint as usize;
            for (i, kp) in pack.view_keypoints(global).unwrap().iter().enumerate() {
                d.row_into(first + i, &mut row).unwrap();
                out.push(Kp {
                    viewpoint: vi,
                    view_in_vp: k,
                    pixel: kp.pixel,
                    point: Vector3::from(kp.point_enu.map(f64::from)),
                    row: row.iter().map(|v| v.to_bits()).collect(),
                    off_axis: off_axis_rad(&params_of(view), kp.pixel),
                });
            }
            global += 1;
        }
    }
    out
}

/// `|a - b| / min(range)` in units of `pixel` radians: the rule's measure of two points.
fn separation_px(a: &Vector3<f64>, b: &Vector3<f64>, centre: &Vector3<f64>, pixel: f64) -> f64 {
    let range = (a - centre).norm().min((b - centre).norm());
    (a - b).norm() / range / pixel
}

#[test]
fn duplicates_across_views_are_merged() {
    // 12 views every 30 degrees, so each direction is seen by two views.
    let mut cfg = tiny("merge");
    cfg.views = 12;
    cfg.max_viewpoints = Some(2);
    cfg.merge_3d_px = 0.0;
    let (raw_path, raw_report, _) = build(&cfg, &DescriptorChoice::Sift, &[], "merge-off.lsarpack");
    cfg.merge_3d_px = 2.0;
    let (path, report, _) = build(&cfg, &DescriptorChoice::Sift, &[], "merge-on.lsarpack");
    let raw_pack = PackReader::open(&raw_path, None).unwrap();
    let pack = PackReader::open(&path, None).unwrap();
    assert_eq!(pack.metadata().build["merge_3d_px"], 2.0);
    // The rule's pixel for 384 px over 60 degrees: the view's pixel at its centre, 3.0 mrad,
    // is coarser than the FOV-normalised pixel (pi / 3000 rad).
    let f = 192.0 / 30f64.to_radians().tan();
    let pixel = (1.0 / f).atan().max(std::f64::consts::PI / 3000.0);
    assert!((pixel - 3.0e-3).abs() < 1e-4);
    let centres: Vec<Vector3<f64>> =
        pack.viewpoints().iter().map(|v| Vector3::from(v.position_enu)).collect();
    let sep = |a: &Kp, b: &Kp| separation_px(&a.point, &b.point, &centres[a.viewpoint], pixel);
    let raw = keypoints_of(&raw_pack);
    let kept = keypoints_of(&pack);
    assert_eq!(raw_report.merged, 0);
    assert_eq!(raw.len(), raw_report.keypoints);
    assert_eq!(kept.len(), report.keypoints);
    assert_eq!(raw.len() - kept.len(), report.merged);

    // The measurement behind the rule: each raw keypoint's nearest keypoint of another view of
    // its viewpoint, in the rule's pixels.
    let mut hist = [0usize; 13];
    for a in &raw {
        let nearest = raw
            .iter()
            .filter(|b| b.viewpoint == a.viewpoint && b.view_in_vp != a.view_in_vp)
            .map(|b| sep(a, b))
            .fold(f64::INFINITY, f64::min);
        hist[(nearest * 2.0).min(12.0) as usize] += 1;
    }
    println!(
        "{} raw keypoints, nearest other-view keypoint per 0.5 px bin (last: >= 6): {hist:?}; \
         merged {} ({:.1} %)",
        raw.len(),
        report.merged,
        100.0 * report.merged as f64 / raw.len() as f64
    );
    // Measured: 197 of 1071 (18.4 %).
    assert!(
        report.merged * 100 >= 12 * raw.len(),
        "expected at least 12 % duplicates: {} of {}",
        report.merged,
        raw.len()
    );

    // No two kept keypoints of one viewpoint are duplicates.
    for (i, a) in kept.iter().enumerate() {
        for b in &kept[i + 1..] {
            if a.viewpoint == b.viewpoint {
                let s = sep(a, b);
                assert!(s > 2.0, "kept duplicates {s:.3} px apart");
            }
        }
    }

    // Merging only removes: each kept keypoint is a raw one, unchanged (pixel, point and
    // descriptor row), and every removed one has a kept duplicate at most as far off its axis.
    let key = |k: &Kp| (k.viewpoint, k.view_in_vp, k.pixel[0].to_bits(), k.pixel[1].to_bits());
    let kept_by_key: HashMap<_, &Kp> = kept.iter().map(|k| (key(k), k)).collect();
    assert_eq!(kept_by_key.len(), kept.len());
    let mut found = 0;
    for r in &raw {
        if let Some(k) = kept_by_key.get(&key(r)) {
            assert_eq!((k.point, &k.row), (r.point, &r.row));
            found += 1;
            continue;
        }
        let winner = kept
            .iter()
            .find(|k| k.viewpoint == r.viewpoint && sep(k, r) <= 2.0 && k.off_axis <= r.off_axis);
        assert!(winner.is_some(), "a removed keypoint has no kept duplicate nearer its axis");
    }
    assert_eq!(found, kept.len());

    // Every kept point projects into its own view at its stored pixel.
    let frame = pack.local_frame();
    let mut worst: f64 = 0.0;
    for (vi, vp) in pack.viewpoints().iter().enumerate() {
        let pos = frame.geodetic_from_enu(&Vector3::from(vp.position_enu));
        for (k, view) in pack.viewpoint_views(vi).unwrap().iter().enumerate() {
            let cam = view_camera(&pos, &params_of(view));
            for kp in kept.iter().filter(|q| q.viewpoint == vi && q.view_in_vp == k) {
                let ecef = frame.ecef_from_enu(&kp.point);
                let px = cam.intrinsics.project(&cam.pose.transform_point(&ecef)).unwrap();
                let want = Vector2::new(f64::from(kp.pixel[0]), f64::from(kp.pixel[1]));
                worst = worst.max((px - want).norm());
            }
        }
    }
    assert!(worst < 0.5, "reprojection {worst} px");
}
