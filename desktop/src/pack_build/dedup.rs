//! Duplicate 3D points across the views of one viewpoint.
//!
//! A panorama of 12 views of 60 degrees every 30 degrees sees each direction in two views, and
//! DoG often finds the same terrain feature in both. Two copies of one feature, seen from the
//! same centre, give almost the same FOV-normalised patch (the patch covers a fixed angle,
//! whatever the view) and the same 3D point: the second copy adds bytes and matching work but
//! no new constraint on the pose.
//!
//! Rule: keypoints `a` and `b` of one viewpoint with centre `c` are duplicates when
//! `|a - b| <= tol * min(|a - c|, |b - c|)`: the ground footprint of an angle `tol`, so the
//! distance grows with depth, and a 3D test (rather than an angular one) keeps a near ridge
//! and the far slope behind it apart when they line up. `tol` is
//! [`BuildConfig::merge_3d_px`](super::BuildConfig::merge_3d_px) (default 2) pixels of the
//! coarser of two samplings ([`merge_tolerance_rad`]): the view's own pixel at its centre,
//! where DoG localises, and the FOV-normalised pixel of the patches (`reference_width` pixels
//! per 180 degrees, LandscapeAR's normalisation). Two pixels is the radius that already merges
//! DoG extrema within one view (`FeatureConfig::merge_px`). Measured on one viewpoint of 12
//! views of 1024 px over procedural terrain (seed 5): of 1076 keypoints, the distance to the
//! nearest keypoint in another view of the viewpoint falls, per half normalised pixel from 0,
//! into 26, 84, 87, 76, 49 and then 32-50 per bin up to 5.5 pixels: an excess up to about 2.5
//! pixels, the same feature found twice (`tests/pack_build/merge.rs` prints the same
//! histogram for its 384 px views). Within 2 pixels of 1024 px views two 64 px patches share
//! at least 95 % of their area.
//!
//! Which copy stays: the one nearer its own view's optical axis, ties broken by the stronger
//! DoG response. Both copies come from the same renderer, style and light, so their responses
//! differ only through resampling and do not say which copy is better; the position does. A
//! rectilinear view magnifies the scene by `1 / cos^2` radially and `1 / cos` tangentially at
//! an angle off its axis (1.33x and 1.15x at the 30 degree edge of a 60 degree view), and a
//! patch within half a patch of the image border is partly zero padding. With views 30
//! degrees apart, the kept copy is never more than about 15 degrees off its axis
//! horizontally.

use std::collections::HashMap;

use lsar_pack::ViewParams;
use nalgebra::Vector3;

use super::features::ViewFeatures;

/// Angle of one FOV-normalised pixel for a patch reference width (pixels per 180 degrees).
pub fn normalised_pixel_rad(reference_width: f64) -> f64 {
    std::f64::consts::PI / reference_width
}

/// The rule's angle for `merge_px` pixels of views `width` pixels wide with a horizontal FOV
/// of `hfov_deg`: `merge_px` times the larger of the view's pixel at its centre
/// (`atan(1 / f)`) and the FOV-normalised pixel.
pub fn merge_tolerance_rad(merge_px: f64, width: u32, hfov_deg: f64, reference_width: f64) -> f64 {
    let f = (f64::from(width) / 2.0) / (hfov_deg.to_radians() / 2.0).tan();
    merge_px * f.recip().atan().max(normalised_pixel_rad(reference_width))
}

/// Whether 3D points `a` and `b`, seen from `centre`, are duplicates under the module's rule
/// with tolerance `tol` (radians).
pub fn are_duplicates(a: &Vector3<f64>, b: &Vector3<f64>, centre: &Vector3<f64>, tol: f64) -> bool {
    let range = (a - centre).norm().min((b - centre).norm());
    (a - b).norm() <= tol * range
}

/// Angle between a pixel's ray and the optical axis of a view (principal point at the image
/// centre, focal length from the horizontal FOV, as `Camera::from_hfov_deg` sets them).
pub fn off_axis_rad(params: &ViewParams, pixel: [f32; 2]) -> f64 {
    let (w, h) = (f64::from(params.width), f64::from(params.height));
    let f = (w / 2.0) / (params.hfov_deg.to_radians() / 2.0).tan();
    let dx = f64::from(pixel[0]) - (w - 1.0) / 2.0;
    let dy = f64::from(pixel[1]) - (h - 1.0) / 2.0;
    dx.hypot(dy).atan2(f)
}

/// One keypoint of the viewpoint under consideration.
struct Candidate {
    view: usize,
    index: usize,
    point: Vector3<f64>,
    off_axis: f64,
    response: f32,
}

/// Removes duplicate 3D points among `views` (all the views of one viewpoint whose camera
/// centre is `centre_enu`, in the pack frame), keeping per group of duplicates the copy
/// nearest its view's axis (then the strongest response, then the lower view and index).
/// Keypoints and their descriptor rows are removed together; the order of the rest is kept.
/// `tol` is in radians (at most 0.5; 0 or less turns merging off). Returns how many keypoints
/// were removed.
///
/// Greedy in priority order, so no two kept keypoints are duplicates and every removed one is
/// a duplicate of a kept one of higher priority. Directions are hashed on a grid of cell
/// `asin(tol)`: duplicates differ in direction by at most that angle, which bounds the chord
/// between their unit vectors, so they fall in the same or adjacent cells.
pub fn merge_viewpoint_duplicates(
    views: &mut [ViewFeatures],
    centre_enu: [f64; 3],
    tol: f64,
) -> usize {
    if tol.is_nan() || tol <= 0.0 {
        return 0;
    }
    let tol = tol.min(0.5);
    let centre = Vector3::from(centre_enu);
    let mut cands: Vec<Candidate> = Vec::new();
    for (view, f) in views.iter().enumerate() {
        for (index, kp) in f.keypoints.iter().enumerate() {
            cands.push(Candidate {
                view,
                index,
                point: Vector3::from(kp.point_enu.map(f64::from)),
                off_axis: off_axis_rad(&f.params, kp.pixel),
                response: kp.response,
            });
        }
    }
    cands.sort_by(|a, b| {
        a.off_axis
            .total_cmp(&b.off_axis)
            .then(b.response.total_cmp(&a.response))
            .then((a.view, a.index).cmp(&(b.view, b.index)))
    });
    let cell = tol.asin();
    let mut grid: HashMap<[i64; 3], Vec<usize>> = HashMap::new();
    let mut keep: Vec<Vec<bool>> = views.iter().map(|f| vec![false; f.keypoints.len()]).collect();
    for (i, c) in cands.iter().enumerate() {
        let ray = c.point - centre;
        let range = ray.norm();
        // A point at the centre has no direction; it cannot be a duplicate of anything at a
        // positive range (the rule's bound is then 0), so it is kept without being indexed.
        let key = (range > 0.0 && range.is_finite())
            .then(|| (ray / range / cell).map(|v| v.floor() as i64))
            .map(|k| [k.x, k.y, k.z]);
        if let Some(k) = key {
            let dup = neighbours(k).any(|n| {
                grid.get(&n).is_some_and(|kept| {
                    kept.iter().any(|&j| are_duplicates(&c.point, &cands[j].point, &centre, tol))
                })
            });
            if dup {
                continue;
            }
            grid.entry(k).or_default().push(i);
        }
        if let Some(slot) = keep.get_mut(c.view).and_then(|v| v.get_mut(c.index)) {
            *slot = true;
        }
    }
    views.iter_mut().zip(&keep).map(|(f, k)| retain(f, k)).sum()
}

/// The 27 cells around and including `k`.
fn neighbours(k: [i64; 3]) -> impl Iterator<Item = [i64; 3]> {
    (-1..=1).flat_map(move |dx| {
        (-1..=1).flat_map(move |dy| (-1..=1).map(move |dz| [k[0] + dx, k[1] + dy, k[2] + dz]))
    })
}

/// Keeps the keypoints (and descriptor rows) marked in `keep`; returns how many were removed.
fn retain(f: &mut ViewFeatures, keep: &[bool]) -> usize {
    let n = f.keypoints.len();
    if n == 0 || keep.iter().all(|&k| k) {
        return 0;
    }
    let dim = f.descriptors.len() / n;
    let mut flags = keep.iter();
    f.keypoints.retain(|_| flags.next().copied().unwrap_or(true));
    let mut rows = Vec::with_capacity(f.keypoints.len() * dim);
    for (row, &k) in f.descriptors.chunks_exact(dim.max(1)).zip(keep) {
        if k {
            rows.extend_from_slice(row);
        }
    }
    f.descriptors = rows;
    n - f.keypoints.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsar_pack::Keypoint;

    fn params(yaw: f64) -> ViewParams {
        ViewParams {
            yaw_deg: yaw,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            hfov_deg: 60.0,
            width: 101,
            height: 101,
        }
    }

    fn view(yaw: f64, kps: &[([f32; 3], [f32; 2], f32)]) -> ViewFeatures {
        let keypoints: Vec<Keypoint> = kps
            .iter()
            .map(|&(p, px, r)| Keypoint {
                point_enu: p,
                view: 0,
                pixel: px,
                scale: 1.0,
                response: r,
            })
            .collect();
        // Two-value descriptor rows that name their keypoint.
        let descriptors =
            (0..keypoints.len()).flat_map(|i| [yaw as f32, i as f32]).collect::<Vec<_>>();
        ViewFeatures { params: params(yaw), keypoints, descriptors, terrain_pixels: 1 }
    }

    #[test]
    fn tolerance_takes_the_coarser_pixel() {
        // 1024 px over 60 degrees: f = 886.8, pixel 1.128 mrad > pi / 3000 = 1.047 mrad.
        let t = merge_tolerance_rad(2.0, 1024, 60.0, 3000.0);
        assert!((t - 2.0 * (1.0 / 886.8100_f64).atan()).abs() < 1e-9, "{t}");
        // 4096 px: the normalised pixel is the coarser.
        let t = merge_tolerance_rad(2.0, 4096, 60.0, 3000.0);
        assert!((t - 2.0 * std::f64::consts::PI / 3000.0).abs() < 1e-15, "{t}");
    }

    #[test]
    fn off_axis_angle_of_centre_and_edge() {
        let p = params(0.0);
        assert!(off_axis_rad(&p, [50.0, 50.0]).abs() < 1e-12);
        // The outer edge of the outermost pixel is at 30 degrees; its centre half a pixel in.
        let edge = off_axis_rad(&p, [100.5, 50.0]).to_degrees();
        assert!((edge - 30.0).abs() < 1e-9, "{edge}");
    }

    #[test]
    fn keeps_the_copy_nearer_the_axis_and_scales_with_depth() {
        let tol = 1e-3;
        // Centre at the origin. A point 1000 m north seen near the edge of view 0 and near the
        // centre of view 1, 0.5 m apart (0.5 mrad): a duplicate, view 1's copy stays even though
        // view 0's copy has the stronger response.
        let a = ([0.0, 1000.0, 0.0], [95.0, 50.0], 9.0);
        let b = ([0.5, 1000.0, 0.0], [52.0, 50.0], 1.0);
        // 1.5 m from `b` at 1000 m (1.5 mrad): not a duplicate.
        let c = ([2.0, 1000.0, 0.0], [52.0, 48.0], 1.0);
        // 1.5 m apart at 3000 m (0.5 mrad): duplicates; `d` is nearer its view's axis.
        let d = ([0.0, 3000.0, 50.0], [50.0, 40.0], 1.0);
        let e = ([1.5, 3000.0, 50.0], [90.0, 40.0], 1.0);
        let mut views = vec![view(0.0, &[a, c, e]), view(30.0, &[b, d])];
        let removed = merge_viewpoint_duplicates(&mut views, [0.0; 3], tol);
        assert_eq!(removed, 2);
        let px = |v: &ViewFeatures| v.keypoints.iter().map(|k| k.pixel).collect::<Vec<_>>();
        assert_eq!(px(&views[0]), vec![[52.0, 48.0]]);
        assert_eq!(px(&views[1]), vec![[52.0, 50.0], [50.0, 40.0]]);
        // Descriptor rows follow their keypoints.
        assert_eq!(views[0].descriptors, vec![0.0, 1.0]);
        assert_eq!(views[1].descriptors, vec![30.0, 0.0, 30.0, 1.0]);
    }

    #[test]
    fn ties_go_to_the_stronger_response_and_zero_tolerance_is_off() {
        let a = ([0.0, 500.0, 0.0], [60.0, 50.0], 1.0);
        let b = ([0.0, 500.0, 0.0], [40.0, 50.0], 2.0);
        let mut views = vec![view(0.0, &[a]), view(30.0, &[b])];
        assert_eq!(merge_viewpoint_duplicates(&mut views.clone(), [0.0; 3], 0.0), 0);
        assert_eq!(merge_viewpoint_duplicates(&mut views, [0.0; 3], 1e-3), 1);
        assert!(views[0].keypoints.is_empty() && views[0].descriptors.is_empty());
        assert_eq!(views[1].keypoints.len(), 1);
    }

    #[test]
    fn a_ridge_in_front_of_a_far_slope_is_not_merged() {
        // Same direction, ranges 1000 m and 4000 m.
        let a = ([0.0, 1000.0, 0.0], [50.0, 50.0], 1.0);
        let b = ([0.0, 4000.0, 0.0], [50.0, 50.0], 1.0);
        let mut views = vec![view(0.0, &[a, b])];
        assert_eq!(merge_viewpoint_duplicates(&mut views, [0.0; 3], 1e-3), 0);
    }

    #[test]
    fn grid_search_equals_all_pairs() {
        // A dense random cloud: the hashed greedy pass must keep exactly what an all-pairs
        // greedy pass in the same priority order keeps.
        let mut state = 12345u64;
        let mut rnd = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) as f32
        };
        let tol = 0.01;
        let mut views = Vec::new();
        for v in 0..4 {
            let kps: Vec<_> = (0..300)
                .map(|_| {
                    let r = 500.0 + 50.0 * rnd();
                    let az = 0.3 * rnd();
                    let el = 0.1 * rnd();
                    let p = [r * az.sin(), r * az.cos(), r * el];
                    ([p[0], p[1], p[2]], [100.0 * rnd(), 100.0 * rnd()], rnd())
                })
                .collect();
            views.push(view(30.0 * v as f64, &kps));
        }
        // (view, pixel, point, off-axis angle, response) of every keypoint.
        type Entry = (usize, [f32; 2], Vector3<f64>, f64, f32);
        let all: Vec<Entry> = views
            .iter()
            .enumerate()
            .flat_map(|(v, f)| {
                f.keypoints.iter().map(move |k| {
                    let p = Vector3::from(k.point_enu.map(f64::from));
                    (v, k.pixel, p, off_axis_rad(&f.params, k.pixel), k.response)
                })
            })
            .collect();
        // Enumeration order within a view is the keypoint index, so a stable sort gives the
        // same tie order as the pass under test.
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|&i, &j| {
            let (a, b) = (&all[i], &all[j]);
            a.3.total_cmp(&b.3).then(b.4.total_cmp(&a.4)).then(a.0.cmp(&b.0))
        });
        let mut kept: Vec<usize> = Vec::new();
        for &i in &order {
            if !kept.iter().any(|&j| are_duplicates(&all[i].2, &all[j].2, &Vector3::zeros(), tol)) {
                kept.push(i);
            }
        }
        let removed = merge_viewpoint_duplicates(&mut views, [0.0; 3], tol);
        assert_eq!(removed, all.len() - kept.len());
        assert!(removed > 100, "the cloud must be dense enough to test anything: {removed}");
        let key = |a: &(usize, [f32; 2])| (a.0, a.1[0].to_bits(), a.1[1].to_bits());
        let mut want: Vec<(usize, [f32; 2])> = kept.iter().map(|&i| (all[i].0, all[i].1)).collect();
        want.sort_by_key(key);
        let mut got: Vec<(usize, [f32; 2])> = views
            .iter()
            .enumerate()
            .flat_map(|(v, f)| f.keypoints.iter().map(move |k| (v, k.pixel)))
            .collect();
        got.sort_by_key(key);
        assert_eq!(got, want);
    }
}
