//! Generating training pairs with the CPU renderer (after LandscapeAR, Brejcha et al.,
//! ECCV 2020, section 4, with rendered views in place of registered photographs).
//!
//! For each pair: view A at a random place and height above the terrain, random heading,
//! pitch and FOV (30-90 degrees); view B placed a random baseline away, aimed at a terrain
//! point that A sees. Both are rendered once (depth) and coloured twice: in the seeded photo
//! style and in the render style of region packs. The images are rendered directly at their
//! FOV-normalised width (`fov / 180 * 3000` px), so patches need no resampling.
//! Correspondences go through depth: a candidate pixel of A is unprojected, projected into B,
//! and kept when B's own depth at that pixel unprojects to within 10 m of it (which also
//! rejects occluded points). The candidates are, by [`Sampling`], the keypoints of the
//! Localizer's photo detector on A's photo-style image (the Localizer only describes
//! patches there; the default of `lsar dataset pairs`) or uniformly random pixels
//! (LandscapeAR's choice, made for orthophoto-textured renders; on untextured shaded
//! terrain most such patches are blank), or both detectors: A's photo keypoints and the pack
//! detector's keypoints of B's render, each transferred to the other view the same way. Up to `per_pair` (900) correspondences per pair;
//! a density rejection keeps a point with probability `1 - count / max_count`, `count`
//! being the points already kept in its 10 m voxel and `max_count` the running maximum over
//! voxels.

use std::collections::HashMap;

use image::RgbImage;
use lsar_geometry::Camera;
use lsar_geometry::geodesy::LocalFrame;
use lsar_vision::{Image, Keypoint, PatchConfig, PatchExtractor};
use nalgebra::Vector3;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod sampling;

pub use sampling::{Sampling, pack_keypoints, photo_keypoints, sampler_query_options};

use super::error::{DatasetError, Result};
use super::policy::photo_seed_for;
use super::shard::Split;
use crate::render::{
    CameraHeight, RenderCamera, RenderError, RenderOptions, Style, Surface, TerrainModel,
    camera_position, colourise, render_surface,
};
use sampling::{Candidates, Side};

/// Parameters of pair generation.
#[derive(Debug, Clone, PartialEq)]
pub struct PairParams {
    /// Correspondences kept per pair at most (LandscapeAR: 900).
    pub per_pair: usize,
    /// Horizontal FOV range, degrees.
    pub fov_deg: (f64, f64),
    /// Camera height above the terrain range, metres.
    pub height_m: (f64, f64),
    /// Horizontal distance between the two viewpoints, metres.
    pub baseline_m: (f64, f64),
    /// A correspondence's two 3D points must agree within this (10 m).
    pub match_radius_m: f64,
    /// Voxel side of the density rejection (10 m).
    pub rejection_radius_m: f64,
    /// Terrain farther than this is not used for correspondences, metres.
    pub max_depth_m: f64,
    /// Depth range, in view A, of the terrain point that view B is aimed at, metres
    /// (200-8000 by default; a near range trains the views of a slope that a camera near
    /// the ground sees).
    pub target_depth_m: (f64, f64),
    /// FOV-normalised patch settings (64 px, reference width 3000).
    pub patch: PatchConfig,
    /// Where view A's candidate pixels come from ([`Sampling::Random`] here;
    /// `lsar dataset pairs` uses [`Sampling::Keypoints`] unless told otherwise).
    pub sampling: Sampling,
}

impl Default for PairParams {
    fn default() -> Self {
        Self {
            per_pair: 900,
            fov_deg: (30.0, 90.0),
            height_m: (2.0, 400.0),
            baseline_m: (50.0, 1500.0),
            match_radius_m: 10.0,
            rejection_radius_m: 10.0,
            max_depth_m: 20_000.0,
            target_depth_m: (200.0, 8000.0),
            patch: PatchConfig::default(),
            sampling: Sampling::Random,
        }
    }
}

impl PairParams {
    /// Checks the ranges: each finite with `min < max` and inside its limits (FOV 1-179
    /// degrees, height 0.5-10 000 m, baseline 0-100 km, target depth 1 m to `max_depth_m`).
    ///
    /// # Errors
    /// [`DatasetError::InvalidParameter`] naming the first bad range.
    pub fn validate(&self) -> Result<()> {
        check_range("fov", self.fov_deg, 1.0, 179.0)?;
        check_range("height above ground", self.height_m, 0.5, 10_000.0)?;
        check_range("baseline", self.baseline_m, 0.0, 100_000.0)?;
        check_range("target depth", self.target_depth_m, 1.0, self.max_depth_m)
    }
}

/// `range` must be finite with `lo <= min < max <= hi` (drawing from an empty range panics).
fn check_range(name: &'static str, range: (f64, f64), lo: f64, hi: f64) -> Result<()> {
    let (min, max) = range;
    if min.is_finite() && max.is_finite() && lo <= min && min < max && max <= hi {
        return Ok(());
    }
    let reason = format!("{min}..{max} (needs {lo} <= min < max <= {hi})");
    Err(DatasetError::InvalidParameter { name, reason })
}

/// The samples of one pair: four patch sets (`N x 3 x S x S` bytes) and ECEF points.
#[derive(Debug, Clone, Default)]
pub struct PairSamples {
    /// Photo style, view A.
    pub photo_a: Vec<u8>,
    /// Render style, view B.
    pub render_b: Vec<u8>,
    /// Render style, view A.
    pub render_a: Vec<u8>,
    /// Photo style, view B.
    pub photo_b: Vec<u8>,
    /// ECEF points, metres.
    pub points: Vec<[f64; 3]>,
    /// Patch centres in view A, pixels ((0, 0) = centre of the top-left pixel).
    pub pixels_a: Vec<[f64; 2]>,
    /// Patch centres in view B, pixels.
    pub pixels_b: Vec<[f64; 2]>,
    /// The cameras of views A and B (`None` only for an empty default).
    pub cameras: Option<(RenderCamera, RenderCamera)>,
}

/// A view rendered in both styles.
struct View {
    camera: RenderCamera,
    surface: Surface,
    photo: RgbImage,
    render: RgbImage,
}

fn world_of(cam: &RenderCamera, x: f64, y: f64, depth: f64) -> Vector3<f64> {
    let k = &cam.intrinsics;
    let p = Vector3::new(
        (x - k.principal_point.x) / k.focal_px * depth,
        (y - k.principal_point.y) / k.focal_px * depth,
        depth,
    );
    cam.pose.rotation().transpose() * (p - cam.pose.translation())
}

/// `Ok(None)` where the DEM has no data under a camera place (voids of SRTM tiles).
fn over_terrain<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(DatasetError::Render { source: RenderError::NoTerrainBelow }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn depth_at(s: &Surface, x: usize, y: usize) -> Option<f64> {
    s.pixels.get(y * s.width + x).copied().flatten().map(|p| p.depth)
}

/// Pair generator over one terrain, with its density counts.
#[derive(Debug)]
pub struct PairGenerator<'a> {
    model: &'a TerrainModel,
    params: PairParams,
    split: Split,
    options: RenderOptions,
    counts: HashMap<[i64; 3], u32>,
    max_count: u32,
}

impl<'a> PairGenerator<'a> {
    /// A generator for views of `split` (which decides the photo palettes).
    pub fn new(model: &'a TerrainModel, params: PairParams, split: Split) -> Self {
        let options = RenderOptions { visible_radius_m: 60_000.0, ..RenderOptions::default() };
        Self { model, params, split, options, counts: HashMap::new(), max_count: 0 }
    }

    fn camera<R: Rng>(
        &self,
        rng: &mut R,
        lat: f64,
        lon: f64,
        yaw: f64,
        pitch: f64,
    ) -> Result<RenderCamera> {
        let p = &self.params;
        let h = rng.random_range(p.height_m.0..=p.height_m.1);
        let pos = camera_position(self.model, lat, lon, CameraHeight::AboveGround(h))?;
        let fov = rng.random_range(p.fov_deg.0..=p.fov_deg.1);
        let w = (fov / 180.0 * p.patch.reference_width).round().max(96.0) as u32;
        let h_px = (f64::from(w) * 0.75).round() as u32;
        let k = Camera::from_hfov_deg(w, h_px, fov);
        Ok(RenderCamera::from_angles(&pos, yaw, pitch, rng.random_range(-3.0..3.0), k))
    }

    fn render<R: Rng>(&self, camera: RenderCamera, rng: &mut R) -> Result<Option<View>> {
        let (surface, stats) = render_surface(self.model, &camera, &self.options)?;
        if stats.terrain_pixels * 4 < surface.width * surface.height {
            return Ok(None);
        }
        let seed = photo_seed_for(self.split, rng);
        let photo = colourise(self.model, &camera, &surface, Style::Photo { seed });
        let render = colourise(self.model, &camera, &surface, Style::Render);
        Ok(Some(View { camera, surface, photo, render }))
    }

    /// Renders pair `index` (its random stream is `(seed, index)`) and finds its
    /// correspondences; `None` when no usable pair of views was found in a few tries.
    ///
    /// # Errors
    /// [`DatasetError::InvalidParameter`] for bad ranges ([`PairParams::validate`]); renderer
    /// and patch errors.
    pub fn pair(&mut self, seed: u64, index: u64) -> Result<Option<PairSamples>> {
        self.params.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let Some(b) = self.model.dem().bounds() else { return Ok(None) };
        for _ in 0..8 {
            let lat = b.south + (b.north - b.south) * rng.random_range(0.15..0.85);
            let lon = b.west + (b.east - b.west) * rng.random_range(0.15..0.85);
            let (yaw, pitch) = (rng.random_range(0.0..360.0), rng.random_range(-10.0..4.0));
            // A void of the DEM under a drawn place is a failed try, not an error.
            let Some(cam_a) = over_terrain(self.camera(&mut rng, lat, lon, yaw, pitch))? else {
                continue;
            };
            let Some(a) = self.render(cam_a, &mut rng)? else { continue };
            let Some(target) = self.pick_target(&a, &mut rng) else { continue };
            let Some(cam_b) = self.aim_b(&a, &target, &mut rng)? else { continue };
            let Some(bv) = self.render(cam_b, &mut rng)? else { continue };
            let samples = self.correspond(&a, &bv, &mut rng)?;
            if !samples.points.is_empty() {
                return Ok(Some(samples));
            }
        }
        Ok(None)
    }

    fn pick_target<R: Rng>(&self, a: &View, rng: &mut R) -> Option<Vector3<f64>> {
        let s = &a.surface;
        let (near, far) = self.params.target_depth_m;
        for _ in 0..200 {
            let (x, y) = (rng.random_range(0..s.width), rng.random_range(0..s.height));
            if let Some(d) = depth_at(s, x, y)
                && (near..far).contains(&d)
            {
                return Some(world_of(&a.camera, x as f64, y as f64, d));
            }
        }
        None
    }

    fn aim_b<R: Rng>(
        &self,
        a: &View,
        target: &Vector3<f64>,
        rng: &mut R,
    ) -> Result<Option<RenderCamera>> {
        let p = &self.params;
        let frame_a = LocalFrame::new(a.camera.centre_geodetic());
        let (dist, dir) = (
            rng.random_range(p.baseline_m.0..=p.baseline_m.1),
            rng.random_range(0.0..std::f64::consts::TAU),
        );
        let g = frame_a.geodetic_from_enu(&Vector3::new(dist * dir.sin(), dist * dir.cos(), 0.0));
        if self.model.dem().elevation(g.lat, g.lon).is_none() {
            return Ok(None);
        }
        // Aim from the new place, roughly: the height is drawn inside `camera`.
        let Some(probe) = over_terrain(
            camera_position(self.model, g.lat, g.lon, CameraHeight::AboveGround(p.height_m.0))
                .map_err(Into::into),
        )?
        else {
            return Ok(None);
        };
        let v = LocalFrame::new(probe).enu_from_ecef(target);
        let yaw = v.x.atan2(v.y).to_degrees() + rng.random_range(-10.0..10.0);
        let pitch = v.z.atan2(v.x.hypot(v.y)).to_degrees() + rng.random_range(-4.0..4.0);
        over_terrain(self.camera(rng, g.lat, g.lon, yaw.rem_euclid(360.0), pitch))
    }

    fn keep<R: Rng>(&mut self, x: &Vector3<f64>, rng: &mut R) -> bool {
        let r = self.params.rejection_radius_m.max(1e-3);
        let key = [(x.x / r).floor() as i64, (x.y / r).floor() as i64, (x.z / r).floor() as i64];
        let count = self.counts.get(&key).copied().unwrap_or(0);
        let p = if self.max_count == 0 {
            1.0
        } else {
            1.0 - f64::from(count) / f64::from(self.max_count)
        };
        if !rng.random_bool(p.clamp(0.0, 1.0)) {
            return false;
        }
        let c = self.counts.entry(key).or_insert(0);
        *c += 1;
        self.max_count = self.max_count.max(*c);
        true
    }

    /// The pixel of `to` that sees the terrain point seen at `(x, y)` in `from`, with that
    /// point: `None` when the point is sky, beyond `max_depth_m`, outside `to`'s patch-safe
    /// area, behind it, or occluded there (`to`'s own depth unprojects more than
    /// `match_radius_m` away).
    fn transfer(&self, from: &View, to: &View, x: f64, y: f64) -> Option<([f64; 2], Vector3<f64>)> {
        let p = &self.params;
        let half = p.patch.size as f64 / 2.0;
        let inside = |x: f64, y: f64, s: &Surface| {
            x >= half
                && y >= half
                && x <= s.width as f64 - 1.0 - half
                && y <= s.height as f64 - 1.0 - half
        };
        if !inside(x, y, &from.surface) {
            return None;
        }
        // The 3D point is the one seen at the nearest pixel centre; `inside` keeps the
        // rounded position in the image.
        let (i, j) = (x.round() as usize, y.round() as usize);
        let d = depth_at(&from.surface, i, j).filter(|d| *d < p.max_depth_m)?;
        let point = world_of(&from.camera, i as f64, j as f64, d);
        let (k, pose) = (&to.camera.intrinsics, &to.camera.pose);
        let pc = pose.rotation() * point + pose.translation();
        if pc.z <= 1.0 {
            return None;
        }
        let u = k.focal_px * pc.x / pc.z + k.principal_point.x;
        let v = k.focal_px * pc.y / pc.z + k.principal_point.y;
        if !inside(u, v, &to.surface) {
            return None;
        }
        let (iu, iv) = (u.round() as usize, v.round() as usize);
        let dt = depth_at(&to.surface, iu, iv)?;
        let seen = world_of(&to.camera, iu as f64, iv as f64, dt);
        ((seen - point).norm() <= p.match_radius_m).then_some(([u, v], point))
    }

    fn correspond<R: Rng>(&mut self, a: &View, b: &View, rng: &mut R) -> Result<PairSamples> {
        let p = self.params.clone();
        let (mut ka, mut kbs, mut pts) = (Vec::new(), Vec::new(), Vec::new());
        let mut candidates =
            Candidates::new(p.sampling, &a.photo, (&b.render, &b.surface), p.per_pair, rng)?;
        while let Some((side, [x, y])) = candidates.next(rng) {
            if pts.len() >= p.per_pair {
                break;
            }
            let ([xa, ya], [xb, yb], point) = match side {
                Side::A => {
                    let Some((q, point)) = self.transfer(a, b, x, y) else { continue };
                    ([x, y], q, point)
                }
                Side::B => {
                    let Some((q, point)) = self.transfer(b, a, x, y) else { continue };
                    (q, [x, y], point)
                }
            };
            if !self.keep(&point, rng) {
                continue;
            }
            ka.push(Keypoint { x: xa, y: ya, sigma: 1.0, response: 0.0 });
            kbs.push(Keypoint { x: xb, y: yb, sigma: 1.0, response: 0.0 });
            pts.push([point.x, point.y, point.z]);
        }
        let cut = |img: &RgbImage, cam: &RenderCamera, kps: &[Keypoint]| -> Result<Vec<u8>> {
            let im = Image::from_u8(img.width() as usize, img.height() as usize, 3, img.as_raw())?;
            let hfov = cam.intrinsics.hfov_deg().to_radians();
            let patches = PatchExtractor::new(&im, hfov, &p.patch)?.extract(kps)?;
            Ok(patches.data().iter().map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8).collect())
        };
        Ok(PairSamples {
            photo_a: cut(&a.photo, &a.camera, &ka)?,
            render_b: cut(&b.render, &b.camera, &kbs)?,
            render_a: cut(&a.render, &a.camera, &ka)?,
            photo_b: cut(&b.photo, &b.camera, &kbs)?,
            points: pts,
            pixels_a: ka.iter().map(|k| [k.x, k.y]).collect(),
            pixels_b: kbs.iter().map(|k| [k.x, k.y]).collect(),
            cameras: Some((a.camera, b.camera)),
        })
    }
}
