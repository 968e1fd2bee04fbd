//! The solve sequence (first solve, re-matching, final solve) and the conversion of its
//! result into a [`Localization`]: ECEF pose, camera JSON, contradicted priors, confidence.

use std::time::Instant;

use lsar_geometry::absolute_pose::{AbsolutePoseEstimate, FocalMode};
use lsar_geometry::camera::focal_from_hfov_deg;
use lsar_geometry::camera_json::{CameraJson, JsonFrame};
use lsar_geometry::solvers::Gravity;
use lsar_geometry::{Camera, CameraPose, LocalFrame};
use lsar_pack::PackReader;
use nalgebra::{Point3, Vector3};

use super::pose::{self, Correspondences, SolveSetup};
use super::priors::{FovSource, Priors, angle_diff_deg};
use super::query::QueryFeatures;
use super::result::{Localization, PriorKind, Reason, Timings, confidence};
use super::{Localizer, LocalizerOptions};
use crate::error::Result;

/// The centre prior of the GPS-anchored solve, in GPS accuracies: it also covers the height,
/// which phone GPS gets about 1.5 times worse than the horizontal position.
pub(crate) const CENTRE_PRIOR_SIGMAS: f64 = 2.0;

/// The chosen estimate, its number of correspondences, its threshold (pixels) and the
/// evidence of its consensus in [0, 1] ([`evidence`]; 1 for an unanchored solve).
pub(crate) type Solved = (AbsolutePoseEstimate, usize, f64, f64);

/// "Down" at `gps` (minus the ellipsoid normal) in the pack's ENU frame.
fn down_in_pack(pack: &PackReader, priors: &Priors) -> Vector3<f64> {
    let at_gps = LocalFrame::new(priors.gps);
    let down_ecef = at_gps.ecef_from_enu_rotation() * Vector3::new(0.0, 0.0, -1.0);
    pack.local_frame().enu_from_ecef_rotation() * down_ecef
}

/// The solve sequence: with [`LocalizerOptions::gps_anchor`], first [`solve_once`] with the
/// GPS fix as centre hypothesis and prior on the k-nearest-neighbour correspondences; if that
/// finds no confirmed pose, or one that contradicts the fix, [`solve_once`] without the fix
/// on the nearest-neighbour correspondences. When that finds nothing either, a confirmed
/// anchored pose whose refined centre left the fix horizontally (by more than three GPS
/// sigmas, at least 50 m) is the result: its rotation is supported by the same evidence as
/// any anchored pose, while the camera centre is weakly determined by terrain kilometres
/// away (on the Colorado grid such poses had 150-184 inliers and rotation errors near 1
/// degree, with the refined centre 97-179 m from a fix with 20 m of noise), and
/// [`localization`] reports the fix as contradicted and halves the confidence.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_and_refine(
    loc: &Localizer,
    pack: &PackReader,
    viewpoints: &[u32],
    top_views: &[u32],
    features: &QueryFeatures,
    priors: &Priors,
    corr: &Correspondences,
    anchor_corr: &Correspondences,
    timings: &mut Timings,
) -> Result<std::result::Result<Solved, Reason>> {
    let o = &loc.options;
    #[allow(clippy::cast_precision_loss)]
    let scale = f64::from(features.width.max(features.height)) / o.reference_side_px;
    let (focal, hfov) = match &priors.fov {
        Some(f) if f.source == FovSource::Exact => (FocalMode::Known, f.hfov_deg),
        Some(f) => (FocalMode::Prior { max_ratio: f.max_ratio }, f.hfov_deg),
        None => (FocalMode::Unknown, features.patch_hfov_deg),
    };
    let camera =
        Camera::new(features.width, features.height, focal_from_hfov_deg(features.width, hfov));
    let gravity = priors
        .gravity_unit()
        .map(|down_in_cam| Gravity { down_in_cam, down_in_world: down_in_pack(pack, priors) });
    let setup = SolveSetup {
        camera,
        focal,
        gravity,
        centre: None,
        centre_sigma_m: f64::INFINITY,
        hfov_range_deg: o.hfov_range_deg,
        min_inliers: o.min_inliers,
        max_iterations: o.max_ransac_iterations,
        seed: o.seed,
    };
    let views = pose::rematch_views(pack, viewpoints, top_views);
    let run = Run { pack, views: &views, features, o, scale };
    let mut off_the_fix = None;
    if o.gps_anchor {
        // The fix as centre hypothesis and prior.
        // Without a FOV prior the focal is bounded around the hypothesis the patches were cut
        // for: farther off, the patch scales differ too much for correct matches, and wide
        // FOVs fit chance consensus sets more easily.
        let focal = match setup.focal {
            FocalMode::Unknown => FocalMode::Prior { max_ratio: o.anchor_focal_ratio },
            other => other,
        };
        let anchored = SolveSetup {
            focal,
            centre: Some(Point3::from(pack.local_frame().enu_from_geodetic(&priors.gps))),
            centre_sigma_m: CENTRE_PRIOR_SIGMAS * priors.gps_accuracy_m,
            ..setup
        };
        let threshold = o.anchor_threshold_px * scale;
        if let Ok(solved) = run.solve_once(anchor_corr, &anchored, threshold, true, timings)? {
            let centre = pack.local_frame().ecef_from_enu(&solved.0.pose.center());
            // Off the fix horizontally, or vertically by more than three prior sigmas (a
            // missing or wrong GPS altitude): the anchor did not hold.
            let up = LocalFrame::new(priors.gps).enu_from_ecef(&centre).z;
            let vertical_limit = (3.0 * anchored.centre_sigma_m).max(50.0);
            if !gps_contradicted(&centre, priors) && up.abs() <= vertical_limit {
                return Ok(Ok(solved));
            }
            // Only the horizontal position disagrees: kept in case nothing else is found. Its
            // result then names the GPS fix as contradicted, which halves its confidence.
            if up.abs() <= vertical_limit {
                off_the_fix = Some(solved);
            }
        }
    }
    let unanchored = run.solve_once(corr, &setup, o.threshold_px * scale, false, timings)?;
    Ok(unless_failed(unanchored, off_the_fix))
}

/// `result`, or `fallback` where `result` failed and a fallback exists.
fn unless_failed<T>(
    result: std::result::Result<T, Reason>,
    fallback: Option<T>,
) -> std::result::Result<T, Reason> {
    match (result, fallback) {
        (Err(_), Some(kept)) => Ok(kept),
        (result, _) => result,
    }
}

/// What every solve of one query shares.
struct Run<'a> {
    pack: &'a PackReader,
    /// Re-matching targets.
    views: &'a [u32],
    features: &'a QueryFeatures,
    o: &'a LocalizerOptions,
    /// Pixel thresholds scale with the image size over `reference_side_px`.
    scale: f64,
}

impl Run<'_> {
    /// First solve of `corr` at `threshold`, guided re-matching with its pose (radius
    /// `threshold_px`), final solve at `final_threshold_px` with the first focal as a prior.
    /// The first result stands if the final solve fails, unless `confirm` (the anchored
    /// solve): then the first solve needs `anchor_min_inliers` distinct query keypoints among
    /// its inliers and `anchor_chance_ratio` times the chance consensus, and the final solve
    /// must succeed. A first solve short of that but with at least `peak_min_inliers`
    /// distinct inliers, more than chance, is confirmed when its final solve reaches
    /// `peak_ratio` times the inliers that the same re-matching reaches from the pose turned
    /// `peak_turn_deg` either way ([`Run::turned_inliers`]): guided re-matching from a wrong
    /// heading finds the same terrain's chance matches, from the right one the true ones.
    fn solve_once(
        &self,
        corr: &Correspondences,
        setup: &SolveSetup,
        threshold: f64,
        confirm: bool,
        timings: &mut Timings,
    ) -> Result<std::result::Result<Solved, Reason>> {
        let o = self.o;
        let t = Instant::now();
        let first = match pose::solve(corr, setup, threshold)? {
            Ok(est) => est,
            Err(reason) => {
                timings.pose_ms += t.elapsed().as_secs_f64() * 1e3;
                return Ok(Err(reason));
            }
        };
        let mut support = 1.0;
        let mut needs_peak = false;
        if confirm {
            let distinct = distinct_inlier_keypoints(corr, &first.inlier_mask);
            let chance = chance_consensus(corr, setup, threshold, first.ransac.iterations)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let required =
                o.anchor_min_inliers.max((o.anchor_chance_ratio * chance as f64).ceil() as usize);
            if distinct < required {
                // Above chance but short of the requirement: confirmed only if the final
                // consensus peaks at the pose's heading (below).
                if distinct < o.peak_min_inliers || distinct <= chance {
                    timings.pose_ms += t.elapsed().as_secs_f64() * 1e3;
                    return Ok(Err(Reason::NoConsensus { inliers: distinct, required }));
                }
                needs_peak = true;
            }
            support = evidence(distinct, chance);
        }
        timings.pose_ms += t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let max_distance = pose::rematch_distance(corr, &first);
        let radius = o.threshold_px * self.scale;
        let rematched = pose::rematch(
            self.pack,
            self.views,
            self.features,
            &first.cam_from_world,
            &first.camera,
            radius,
            max_distance,
        )?;
        let mut final_setup = SolveSetup { camera: first.camera, ..*setup };
        if setup.focal != FocalMode::Known {
            final_setup.focal = FocalMode::Prior { max_ratio: o.final_focal_ratio };
        }
        let final_threshold = o.final_threshold_px * self.scale;
        let mut solved = pose::solve(&rematched, &final_setup, final_threshold)?;
        if needs_peak && let Ok(est) = &solved {
            let control = self.turned_inliers(&first, max_distance, &final_setup)?;
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let required = ((o.peak_ratio * control as f64).ceil() as usize).max(o.min_inliers);
            if est.num_inliers < required {
                solved = Err(Reason::NoConsensus { inliers: est.num_inliers, required });
            }
        }
        timings.refine_ms += t.elapsed().as_secs_f64() * 1e3;
        Ok(match solved {
            Ok(est) if est.num_inliers >= o.min_inliers => {
                Ok((est, rematched.len(), final_threshold, support))
            }
            Ok(est) if confirm => {
                Err(Reason::NoConsensus { inliers: est.num_inliers, required: o.min_inliers })
            }
            Err(reason) if confirm => Err(reason),
            _ => Ok((first, corr.len(), threshold, support)),
        })
    }

    /// The most final-solve inliers that guided re-matching reaches from `first` turned by
    /// `peak_turn_deg` either way about the vertical through its centre: what the same
    /// re-matching finds from a wrong heading among these keypoints and pack points.
    fn turned_inliers(
        &self,
        first: &AbsolutePoseEstimate,
        max_distance: f32,
        final_setup: &SolveSetup,
    ) -> Result<usize> {
        let o = self.o;
        let first_pose = CameraPose::new(first.cam_from_world);
        let mut most = 0;
        for turn_deg in [-o.peak_turn_deg, o.peak_turn_deg] {
            let turned = first_pose.turned_about_world_z(turn_deg).cam_from_world;
            let rematched = pose::rematch(
                self.pack,
                self.views,
                self.features,
                &turned,
                &first.camera,
                o.threshold_px * self.scale,
                max_distance,
            )?;
            let threshold = o.final_threshold_px * self.scale;
            if let Ok(est) = pose::solve(&rematched, final_setup, threshold)? {
                most = most.max(est.num_inliers);
            }
        }
        Ok(most)
    }
}

/// The public result of an estimate whose world is the pack's ENU frame.
pub(crate) fn localization(
    pack: &PackReader,
    features: &QueryFeatures,
    priors: &Priors,
    solved: &Solved,
    o: &LocalizerOptions,
) -> Result<Localization> {
    let (est, correspondences, threshold_px, evidence) = solved;
    let (correspondences, threshold_px, evidence) = (*correspondences, *threshold_px, *evidence);
    let pose = CameraPose::new(est.cam_from_world).frame_to_ecef(&pack.local_frame());
    let camera = est.camera;
    let camera_json = CameraJson::from_parts(&camera, &pose, JsonFrame::Ecef);
    let q = pose.quaternion();
    let contradicted_priors = contradicted(&camera, &pose, priors);
    let conf = confidence(
        est.num_inliers,
        o.min_inliers,
        correspondences,
        est.rmse_px,
        threshold_px,
        evidence,
        !contradicted_priors.is_empty(),
    );
    Ok(Localization {
        localized: true,
        camera_json,
        quaternion_wxyz: [q.w, q.i, q.j, q.k],
        inliers: est.num_inliers,
        correspondences,
        reprojection_rmse_px: est.rmse_px,
        confidence: conf,
        solver: format!("{:?}", est.solver),
        patch_hfov_deg: features.patch_hfov_deg,
        views: Vec::new(),
        pack: 0,
        contradicted_priors,
        timings_ms: Timings::default(),
    })
}

/// The priors a pose (world = ECEF) disagrees with (see [`PriorKind`]).
fn contradicted(camera: &Camera, pose: &CameraPose, priors: &Priors) -> Vec<PriorKind> {
    let mut out = Vec::new();
    if gps_contradicted(&pose.center(), priors) {
        out.push(PriorKind::Gps);
    }
    let angles = pose.angles_deg();
    if let Some(h) = &priors.heading
        && angle_diff_deg(angles.yaw_deg, h.yaw_deg).abs() > (3.0 * h.accuracy_deg).max(5.0)
    {
        out.push(PriorKind::Heading);
    }
    if let Some(prior) = priors.gravity_unit() {
        let at_cam = LocalFrame::new(pose.position());
        let down_ecef = at_cam.ecef_from_enu_rotation() * Vector3::new(0.0, 0.0, -1.0);
        let down_cam = pose.rotation() * down_ecef;
        if down_cam.angle(&prior).to_degrees() > 3.0 {
            out.push(PriorKind::Gravity);
        }
    }
    if let Some(f) = &priors.fov
        && f.source == FovSource::Exif
    {
        let ratio = camera.focal_px / focal_from_hfov_deg(camera.width, f.hfov_deg);
        if !(ratio <= f.max_ratio * 1.001 && ratio >= 1.0 / (f.max_ratio * 1.001)) {
            out.push(PriorKind::Fov);
        }
    }
    out
}

/// Whether a camera centre (ECEF) is horizontally farther from the GPS fix than three sigmas
/// (at least 50 m).
fn gps_contradicted(centre_ecef: &Vector3<f64>, priors: &Priors) -> bool {
    let offset = LocalFrame::new(priors.gps).enu_from_ecef(centre_ecef);
    offset.x.hypot(offset.y) > (3.0 * priors.gps_accuracy_m).max(50.0)
}

/// Number of distinct query keypoints (pixels) among the inlier correspondences: with k
/// nearest neighbours one keypoint can be an inlier several times.
fn distinct_inlier_keypoints(corr: &Correspondences, inliers: &[bool]) -> usize {
    let mut pixels: Vec<(u64, u64)> = corr
        .pixels
        .iter()
        .zip(inliers)
        .filter(|(_, inlier)| **inlier)
        .map(|(p, _)| (p.x.to_bits(), p.y.to_bits()))
        .collect();
    pixels.sort_unstable();
    pixels.dedup();
    pixels.len()
}

/// Shuffles of [`chance_consensus`]: the chance level is the largest of these, so that one
/// lucky or unlucky permutation does not decide.
const CHANCE_SHUFFLES: u64 = 3;

/// The consensus that chance alone reaches: the same solve, with the same number of RANSAC
/// samples, on the correspondences with their 3D points shuffled, so that the pixels and the
/// points keep their spatial distributions but no longer correspond (the a-contrario idea of
/// Moisan and Stival, IJCV 2004, measured instead of modelled). Returns the most distinct
/// query keypoints among the inliers over [`CHANCE_SHUFFLES`] fixed permutations.
fn chance_consensus(
    corr: &Correspondences,
    setup: &SolveSetup,
    threshold: f64,
    iterations: u64,
) -> Result<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut most = 0;
    for k in 0..CHANCE_SHUFFLES {
        let mut order: Vec<usize> = (0..corr.len()).collect();
        let seed = setup.seed ^ 0x6e75_6c6c ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        let shuffled = Correspondences {
            pixels: corr.pixels.clone(),
            points: order.iter().filter_map(|&i| corr.points.get(i).copied()).collect(),
            distances: corr.distances.clone(),
        };
        let null_setup = SolveSetup { min_inliers: 1, max_iterations: iterations.max(1), ..*setup };
        let found = match pose::solve(&shuffled, &null_setup, threshold)? {
            Ok(est) => distinct_inlier_keypoints(&shuffled, &est.inlier_mask),
            Err(Reason::NoConsensus { inliers, .. }) => inliers,
            Err(_) => 0,
        };
        most = most.max(found);
    }
    Ok(most)
}

/// How far an anchored consensus stands above chance, in [0, 1]: `(m - 1) / 3` clamped, with
/// `m` the distinct inliers over the shuffled maximum. Accepted poses have `m >= 2`
/// (`anchor_chance_ratio`); in the eval runs of 2026-11-27 every wrong anchored pose had
/// `m` of 2.0-2.6, most correct ones 3-15 (some 2.0-2.7), so a pose at the acceptance
/// limit keeps a third of its raw confidence score and one at 4 keeps all of it.
fn evidence(distinct: usize, chance: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let m = distinct as f64 / chance.max(1) as f64;
    ((m - 1.0) / 3.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::{Reason, evidence, unless_failed};

    #[test]
    fn the_pose_off_the_fix_is_used_only_when_nothing_else_is_found() {
        let none = || Err(Reason::NoConsensus { inliers: 3, required: 12 });
        assert_eq!(unless_failed(Ok(1), Some(2)), Ok(1));
        assert_eq!(unless_failed(none(), Some(2)), Ok(2));
        assert_eq!(unless_failed::<u8>(none(), None), none());
        assert_eq!(unless_failed(Ok(1), None), Ok(1));
    }

    #[test]
    fn evidence_grows_with_the_margin_over_chance() {
        // At the acceptance limit (twice chance): a third.
        assert!((evidence(12, 6) - 1.0 / 3.0).abs() < 1e-12);
        assert!((evidence(25, 10) - 0.5).abs() < 1e-12);
        assert_eq!(evidence(40, 10), 1.0);
        assert_eq!(evidence(90, 10), 1.0);
        // No chance consensus at all counts as one.
        assert_eq!(evidence(5, 0), 1.0);
        assert_eq!(evidence(1, 1), 0.0);
    }
}
