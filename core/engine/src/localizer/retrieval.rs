//! Pack look-up and view voting (pipeline steps 2 and 4a): which pack covers the GPS fix,
//! which viewpoints lie within the GPS uncertainty, which of their views the heading prior
//! allows, and which views a subset of the query descriptors votes for.

use lsar_geometry::Geodetic;
use lsar_pack::{Bounds, PackReader};
use lsar_vision::{Descriptors, MatchOptions, match_descriptors};

use super::priors::{HeadingPrior, angle_diff_deg};
use crate::error::Result;

/// Whether `bounds` (degrees) contain a position; bounds with `west > east` cross the
/// antimeridian. Longitudes are compared modulo 360.
pub(crate) fn covers(bounds: &Bounds, lat: f64, lon: f64) -> bool {
    if !(bounds.south..=bounds.north).contains(&lat) {
        return false;
    }
    let wrap = |x: f64| (x + 180.0).rem_euclid(360.0) - 180.0;
    let (w, e, l) = (wrap(bounds.west), wrap(bounds.east), wrap(lon));
    if bounds.east - bounds.west >= 360.0 {
        return true;
    }
    if w <= e { (w..=e).contains(&l) } else { l >= w || l <= e }
}

/// The packs covering `gps`, in the order given.
pub(crate) fn covering_packs(packs: &[PackReader], gps: &Geodetic) -> Vec<usize> {
    (0..packs.len())
        .filter(|&i| packs.get(i).is_some_and(|p| covers(&p.metadata().bounds, gps.lat, gps.lon)))
        .collect()
}

/// Viewpoints within `radius_m` of `gps` (horizontal distance in the pack's ENU plane),
/// nearest first, at most `max`.
pub(crate) fn nearby_viewpoints(
    pack: &PackReader,
    gps: &Geodetic,
    radius_m: f64,
    max: usize,
) -> Vec<u32> {
    let mut found = Vec::new();
    pack.viewpoints_near(gps, radius_m, &mut found);
    let enu = pack.local_frame().enu_from_geodetic(gps);
    let all = pack.viewpoints();
    let dist = |i: u32| {
        all.get(i as usize)
            .map_or(f64::INFINITY, |v| (v.position_enu[0] - enu.x).hypot(v.position_enu[1] - enu.y))
    };
    found.sort_by(|&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
    found.truncate(max);
    found
}

/// The views of `viewpoints` (global indices) whose horizontal FOV can overlap a query
/// looking along the heading prior: `|yaw - heading| <= view_hfov / 2 + query_half_fov +
/// 3 sigma`. Without a heading every view is kept.
pub(crate) fn candidate_views(
    pack: &PackReader,
    viewpoints: &[u32],
    heading: Option<&HeadingPrior>,
    query_half_fov_deg: f64,
) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for &vp in viewpoints {
        let first = pack.viewpoint(vp as usize)?.first_view;
        for (k, view) in pack.viewpoint_views(vp as usize)?.iter().enumerate() {
            let keep = heading.is_none_or(|h| {
                let limit = view.hfov_deg / 2.0 + query_half_fov_deg + 3.0 * h.accuracy_deg;
                angle_diff_deg(view.yaw_deg, h.yaw_deg).abs() <= limit
            });
            if keep && view.keypoint_count > 0 {
                #[allow(clippy::cast_possible_truncation)]
                out.push(first + k as u32);
            }
        }
    }
    Ok(out)
}

/// The descriptors of some views, concatenated, with the global keypoint index of each row.
#[derive(Debug)]
pub(crate) struct ViewSet {
    /// Descriptor rows.
    pub descriptors: Descriptors,
    /// Global keypoint (= pack descriptor row) index per row.
    pub keypoints: Vec<u32>,
    /// Global view index per row.
    pub view_of_row: Vec<u32>,
}

/// Reads the descriptors of `views` from the pack (decoded to f32).
pub(crate) fn gather(pack: &PackReader, views: &[u32]) -> Result<ViewSet> {
    let table = pack.descriptors();
    let dim = table.dim();
    let mut data = Vec::new();
    let mut keypoints = Vec::new();
    let mut view_of_row = Vec::new();
    let all_views = pack.views();
    for &v in views {
        let Some(view) = all_views.get(v as usize) else { continue };
        for k in view.first_keypoint..view.first_keypoint.saturating_add(view.keypoint_count) {
            let start = data.len();
            data.resize(start + dim, 0.0);
            table.row_into(k as usize, &mut data[start..])?;
            keypoints.push(k);
            view_of_row.push(v);
        }
    }
    let descriptors = Descriptors::new(dim.max(1), data)?;
    Ok(ViewSet { descriptors, keypoints, view_of_row })
}

/// Votes: the first `subset` query descriptors are matched (nearest neighbour, one match per
/// target) into the candidate views; each match votes for the view of its target. Returns
/// the `top` views with the most votes (ties: lower index), and their vote counts.
pub(crate) fn vote(
    query: &Descriptors,
    subset: usize,
    set: &ViewSet,
    top: usize,
) -> Result<Vec<(u32, usize)>> {
    let n = subset.min(query.len());
    let head = Descriptors::new(query.dim(), query.data()[..n * query.dim()].to_vec())?;
    let matches = match_descriptors(&head, &set.descriptors, &MatchOptions::default())?;
    let mut votes: Vec<(u32, usize)> = Vec::new();
    for m in &matches {
        let Some(&v) = set.view_of_row.get(m.train) else { continue };
        match votes.iter_mut().find(|(view, _)| *view == v) {
            Some(entry) => entry.1 += 1,
            None => votes.push((v, 1)),
        }
    }
    votes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    votes.truncate(top);
    Ok(votes)
}

/// The rows of `set` that belong to `views`, as a new set.
pub(crate) fn subset_of_views(set: &ViewSet, views: &[u32]) -> Result<ViewSet> {
    let dim = set.descriptors.dim();
    let mut data = Vec::new();
    let mut keypoints = Vec::new();
    let mut view_of_row = Vec::new();
    for (i, &v) in set.view_of_row.iter().enumerate() {
        if !views.contains(&v) {
            continue;
        }
        if let (Some(row), Some(&k)) = (set.descriptors.row(i), set.keypoints.get(i)) {
            data.extend_from_slice(row);
            keypoints.push(k);
            view_of_row.push(v);
        }
    }
    Ok(ViewSet { descriptors: Descriptors::new(dim, data)?, keypoints, view_of_row })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_with_antimeridian() {
        let b = Bounds { south: 45.0, west: 7.0, north: 47.0, east: 8.0 };
        assert!(covers(&b, 46.0, 7.5));
        assert!(!covers(&b, 46.0, 8.5));
        assert!(!covers(&b, 48.0, 7.5));
        let wrap = Bounds { south: -10.0, west: 179.0, north: 10.0, east: -179.0 };
        assert!(covers(&wrap, 0.0, 179.5));
        assert!(covers(&wrap, 0.0, -179.5));
        assert!(!covers(&wrap, 0.0, 0.0));
    }
}
