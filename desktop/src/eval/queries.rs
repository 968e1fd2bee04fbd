//! Photo-like evaluation queries: random camera poses inside a pack, rendered in the photo
//! style with the palette kept out of training, and a rejection rule fixed before any
//! localization is run.
//!
//! Pose distribution (the issue's): position uniform over the rectangle spanned by the
//! pack's viewpoints (ENU), 2-50 m above the ground, yaw uniform, pitch -10..+15 degrees,
//! roll -5..+5 degrees, horizontal FOV 30-80 degrees. Positions are drawn independently of
//! the viewpoint grid, so queries are never placed at viewpoints.
//!
//! Rejection rule (fixed in advance, counted per cause): a pose is redrawn when the DEM
//! has no data below it, when terrain covers less than [`MIN_TERRAIN_FRACTION`] of the
//! image (mostly sky), or when the median depth of its terrain pixels is below
//! [`MIN_MEDIAN_DEPTH_M`] (the view is blocked by a nearby slope and shows no landscape).

use lsar_core::geometry::{Camera, Geodetic, LocalFrame};
use lsar_core::localizer::{FovPrior, FovSource, Priors};
use lsar_core::pack::PackReader;
use nalgebra::{Rotation3, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::error::{EvalError, Result};
use crate::dataset::policy::{HELD_OUT_PALETTE, photo_palette};
use crate::render::{
    CameraHeight, RenderCamera, RenderOptions, RenderedView, Style, TerrainModel, camera_position,
    render_view,
};

/// Fewest terrain pixels, as a share of the image.
pub const MIN_TERRAIN_FRACTION: f64 = 0.2;
/// Smallest median depth of the terrain pixels, metres.
pub const MIN_MEDIAN_DEPTH_M: f64 = 500.0;
/// GPS vertical error over horizontal error (phone GPS altitude is about 1.5 times worse).
pub const VERTICAL_NOISE_RATIO: f64 = 1.5;
/// Seed offset of the vertical GPS noise stream.
const VERTICAL_NOISE_STREAM: u64 = 0x7665_7274;
/// Seed offset of the gravity noise stream.
const GRAVITY_NOISE_STREAM: u64 = 0x6772_6176;
/// Most draws per accepted query before giving up.
const MAX_DRAWS_PER_QUERY: usize = 50;

/// How queries are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuerySpec {
    /// Image size, pixels.
    pub size: (u32, u32),
    /// Horizontal FOV range, degrees.
    pub hfov_deg: (f64, f64),
    /// Pitch range, degrees.
    pub pitch_deg: (f64, f64),
    /// Roll range, degrees.
    pub roll_deg: (f64, f64),
    /// Height above ground range, metres.
    pub height_m: (f64, f64),
    /// One-sigma GPS noise per horizontal axis, metres; the height gets
    /// [`VERTICAL_NOISE_RATIO`] times as much.
    pub gps_noise_m: f64,
    /// Also give the true horizontal FOV as an EXIF-like prior (a phone photo's focal
    /// length); off in the default run.
    pub fov_prior: bool,
    /// Also give the gravity direction in the camera, tilted by this one-sigma noise per
    /// axis in degrees (a phone's accelerometer); off in the default run.
    pub gravity_sigma_deg: Option<f64>,
}

impl Default for QuerySpec {
    fn default() -> Self {
        Self {
            size: (1024, 768),
            hfov_deg: (30.0, 80.0),
            pitch_deg: (-10.0, 15.0),
            roll_deg: (-5.0, 5.0),
            height_m: (2.0, 50.0),
            gps_noise_m: 20.0,
            fov_prior: false,
            gravity_sigma_deg: None,
        }
    }
}

/// Rejected draws per cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rejections {
    /// No DEM data below the position.
    pub no_terrain_below: usize,
    /// Terrain on less than [`MIN_TERRAIN_FRACTION`] of the pixels.
    pub mostly_sky: usize,
    /// Median terrain depth below [`MIN_MEDIAN_DEPTH_M`].
    pub blocked_view: usize,
}

/// One accepted query: its truth, the GPS prior and the rendered photo.
#[derive(Debug, Clone)]
pub struct Query {
    /// Index in the run.
    pub index: usize,
    /// True camera (world = ECEF).
    pub camera: RenderCamera,
    /// Yaw, pitch, roll (degrees) and height above ground (metres) as drawn.
    pub angles_deg: [f64; 3],
    /// Height above ground, metres.
    pub height_m: f64,
    /// Photo-style seed (its palette is the held-out one).
    pub photo_seed: u64,
    /// GPS prior (the true position plus horizontal and vertical noise).
    pub gps: Geodetic,
    /// The rendered photo-like view.
    pub view: RenderedView,
    /// What the view shows (terrain share, median terrain depth).
    pub stats: ViewStats,
}

/// The ENU rectangle (min x, min y, max x, max y) spanned by a pack's viewpoints.
pub fn viewpoint_rectangle(pack: &PackReader) -> Result<[f64; 4]> {
    let vps = pack.viewpoints();
    if vps.is_empty() {
        return Err(EvalError::Invalid { what: "the pack has no viewpoints" });
    }
    let mut r = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for v in vps {
        let [x, y, _] = v.position_enu;
        r = [r[0].min(x), r[1].min(y), r[2].max(x), r[3].max(y)];
    }
    Ok(r)
}

/// A photo seed whose palette is [`HELD_OUT_PALETTE`] (never used for training views).
pub fn held_out_photo_seed<R: Rng>(rng: &mut R) -> u64 {
    loop {
        let seed: u64 = rng.random();
        if photo_palette(seed) == HELD_OUT_PALETTE {
            return seed;
        }
    }
}

/// What a rendered view shows: the share of terrain pixels and how far the terrain is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ViewStats {
    /// Terrain pixels over all pixels.
    pub terrain_fraction: f64,
    /// Median depth of the terrain pixels, metres (0 without terrain).
    pub median_depth_m: f64,
}

/// The [`ViewStats`] of a rendered view.
pub fn view_stats(view: &RenderedView) -> ViewStats {
    let s = &view.surface;
    let total = (s.width * s.height).max(1);
    let mut depths: Vec<f64> = s.pixels.iter().flatten().map(|p| p.depth).collect();
    #[allow(clippy::cast_precision_loss)]
    let terrain_fraction = depths.len() as f64 / total as f64;
    depths.sort_by(f64::total_cmp);
    let median_depth_m = depths.get(depths.len() / 2).copied().unwrap_or(0.0);
    ViewStats { terrain_fraction, median_depth_m }
}

/// Horizontal distance (m) from `centre_en` to the nearest of the `positions_en` (east,
/// north in one local frame); infinite when there are none. The pack's viewpoint grid bounds
/// how far from a query its reference views were rendered.
pub fn nearest_horizontal_m(
    positions_en: impl IntoIterator<Item = [f64; 2]>,
    centre_en: [f64; 2],
) -> f64 {
    positions_en
        .into_iter()
        .map(|p| (p[0] - centre_en[0]).hypot(p[1] - centre_en[1]))
        .fold(f64::INFINITY, f64::min)
}

/// Horizontal distance (m) from a camera centre (ECEF) to the pack's nearest viewpoint.
pub fn nearest_viewpoint_m(pack: &PackReader, centre_ecef: &Vector3<f64>) -> f64 {
    let c = pack.local_frame().enu_from_ecef(centre_ecef);
    nearest_horizontal_m(
        pack.viewpoints().iter().map(|v| [v.position_enu[0], v.position_enu[1]]),
        [c.x, c.y],
    )
}

/// Why a view with these statistics is rejected, if it is.
fn reject_reason(stats: &ViewStats) -> Option<fn(&mut Rejections) -> &mut usize> {
    if stats.terrain_fraction < MIN_TERRAIN_FRACTION {
        return Some(|r| &mut r.mostly_sky);
    }
    (stats.median_depth_m < MIN_MEDIAN_DEPTH_M).then_some(|r: &mut Rejections| &mut r.blocked_view)
}

/// Draws and renders query `index` of a run with `seed`; each query has its own random
/// stream, so query `i` is the same whatever the number of queries. Rejected draws are
/// added to `rejected`.
///
/// # Errors
/// [`EvalError::TooManyRejections`] after 50 rejected draws; rendering errors.
pub fn draw_query(
    model: &TerrainModel,
    pack: &PackReader,
    spec: &QuerySpec,
    seed: u64,
    index: usize,
    rejected: &mut Rejections,
) -> Result<Query> {
    let rect = viewpoint_rectangle(pack)?;
    let frame = pack.local_frame();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    let uniform = |rng: &mut ChaCha8Rng, (a, b): (f64, f64)| {
        if b > a { rng.random_range(a..b) } else { a }
    };
    for _ in 0..MAX_DRAWS_PER_QUERY {
        let x = uniform(&mut rng, (rect[0], rect[2]));
        let y = uniform(&mut rng, (rect[1], rect[3]));
        let yaw = rng.random_range(0.0..360.0);
        let pitch = uniform(&mut rng, spec.pitch_deg);
        let roll = uniform(&mut rng, spec.roll_deg);
        let hfov = uniform(&mut rng, spec.hfov_deg);
        let height = uniform(&mut rng, spec.height_m);
        let photo_seed = held_out_photo_seed(&mut rng);
        let noise = Vector3::new(
            gauss(&mut rng) * spec.gps_noise_m,
            gauss(&mut rng) * spec.gps_noise_m,
            0.0,
        );
        let ground = frame.geodetic_from_enu(&Vector3::new(x, y, 0.0));
        let Ok(position) =
            camera_position(model, ground.lat, ground.lon, CameraHeight::AboveGround(height))
        else {
            rejected.no_terrain_below += 1;
            continue;
        };
        let k = Camera::from_hfov_deg(spec.size.0, spec.size.1, hfov);
        let camera = RenderCamera::from_angles(&position, yaw, pitch, roll, k);
        let view = render_view(
            model,
            &camera,
            &RenderOptions::default(),
            Style::Photo { seed: photo_seed },
        )?;
        let stats = view_stats(&view);
        if let Some(count) = reject_reason(&stats) {
            *count(rejected) += 1;
            continue;
        }
        // The vertical error has its own stream so that adding it left the drawn poses as
        // they were.
        let mut vertical = ChaCha8Rng::seed_from_u64(seed ^ VERTICAL_NOISE_STREAM);
        vertical.set_stream(index as u64);
        let noise = Vector3::new(
            noise.x,
            noise.y,
            gauss(&mut vertical) * spec.gps_noise_m * VERTICAL_NOISE_RATIO,
        );
        let gps = LocalFrame::new(position).geodetic_from_enu(&noise);
        return Ok(Query {
            index,
            camera,
            angles_deg: [yaw, pitch, roll],
            height_m: height,
            photo_seed,
            gps,
            view,
            stats,
        });
    }
    Err(EvalError::TooManyRejections { query: index, draws: MAX_DRAWS_PER_QUERY })
}

/// The Localizer's priors for query `index` of a run with `seed`, taken by `camera`: the
/// noisy GPS fix `gps` (accuracy `max(gps_noise, 5 m)`), and per `spec` the true FOV as an
/// EXIF prior and the true gravity direction tilted by Gaussian noise (its own random
/// stream: the poses and the GPS noise do not change with it).
pub fn query_priors(
    camera: &RenderCamera,
    gps: Geodetic,
    index: usize,
    spec: &QuerySpec,
    seed: u64,
) -> Priors {
    let mut priors = Priors::from_gps(gps, spec.gps_noise_m.max(5.0));
    let k = &camera.intrinsics;
    if spec.fov_prior {
        priors.fov = Some(FovPrior::from_focal_px(k.width, k.focal_px, FovSource::Exif));
    }
    if let Some(sigma) = spec.gravity_sigma_deg {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ GRAVITY_NOISE_STREAM);
        rng.set_stream(index as u64);
        let tilt =
            Vector3::new(gauss(&mut rng), gauss(&mut rng), gauss(&mut rng)) * sigma.to_radians();
        let at = LocalFrame::new(camera.centre_geodetic());
        let down = camera.pose.rotation() * (at.ecef_from_enu_rotation() * -Vector3::z());
        let down = Rotation3::new(tilt) * down;
        priors.gravity_down_in_cam = Some([down.x, down.y, down.z]);
    }
    priors
}

/// The `priors` line of the report for `spec`.
pub fn priors_description(spec: &QuerySpec) -> String {
    let mut s = String::from(
        "GPS (position with horizontal and vertical noise, accuracy = max(gps_noise, 5 m))",
    );
    if spec.fov_prior {
        s.push_str("; the true FOV as an EXIF prior");
    }
    if let Some(g) = spec.gravity_sigma_deg {
        s.push_str(&format!("; gravity with {g} deg of noise per axis"));
    }
    s.push_str("; no heading");
    if !spec.fov_prior {
        s.push_str(", no FOV");
    }
    s
}

/// A standard normal sample (Box-Muller).
fn gauss<R: Rng>(rng: &mut R) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_viewpoint_is_horizontal() {
        let grid = [[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]];
        assert!((nearest_horizontal_m(grid, [300.0, 400.0]) - 500.0).abs() < 1e-9);
        assert!((nearest_horizontal_m(grid, [900.0, 1000.0]) - 100.0).abs() < 1e-9);
        assert_eq!(nearest_horizontal_m(grid, [1000.0, 0.0]), 0.0);
        assert_eq!(nearest_horizontal_m([], [0.0, 0.0]), f64::INFINITY);
    }

    #[test]
    fn held_out_seeds_have_the_held_out_palette() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..20 {
            assert_eq!(photo_palette(held_out_photo_seed(&mut rng)), HELD_OUT_PALETTE);
        }
    }

    #[test]
    fn priors_hold_the_true_fov_and_gravity() {
        let at = Geodetic::new(46.5, 8.0, 2000.0);
        let k = Camera::from_hfov_deg(1024, 768, 50.0);
        let camera = RenderCamera::from_angles(&at, 123.0, 10.0, 0.0, k);
        let exact =
            QuerySpec { fov_prior: true, gravity_sigma_deg: Some(0.0), ..QuerySpec::default() };
        let p = query_priors(&camera, at, 3, &exact, 7);
        let fov = p.fov.unwrap_or_else(|| panic!("no FOV prior"));
        assert!((fov.hfov_deg - 50.0).abs() < 1e-9);
        assert_eq!(fov.source, FovSource::Exif);
        // Camera axes x right, y down, z forward: pitched up by 10 degrees, down is
        // (0, cos 10, -sin 10).
        let d = Vector3::from(p.gravity_down_in_cam.unwrap_or_else(|| panic!("no gravity")));
        let want = Vector3::new(0.0, 10f64.to_radians().cos(), -10f64.to_radians().sin());
        assert!((d - want).norm() < 1e-9, "{d:?}");
        // Noise tilts it, the same way for the same query, and leaves the rest alone.
        let noisy = QuerySpec { gravity_sigma_deg: Some(1.0), ..QuerySpec::default() };
        let a = query_priors(&camera, at, 3, &noisy, 7);
        let b = query_priors(&camera, at, 3, &noisy, 7);
        assert_eq!(a, b);
        assert!(a.fov.is_none());
        let da = Vector3::from(a.gravity_down_in_cam.unwrap_or_else(|| panic!("no gravity")));
        let angle = da.angle(&want).to_degrees();
        assert!(angle > 1e-3 && angle < 6.0, "{angle}");
        let plain = query_priors(&camera, at, 3, &QuerySpec::default(), 7);
        assert!(plain.fov.is_none() && plain.gravity_down_in_cam.is_none());
    }

    #[test]
    fn gaussian_has_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let xs: Vec<f64> = (0..20_000).map(|_| gauss(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }
}
