//! Resolves the id buffer into per-pixel surface data: the exact z-depth (ray-plane
//! intersection in `f64` with the triangle that won the z-test), the interpolated normal and
//! height above sea level.

use nalgebra::Vector3;
use rayon::prelude::*;

use super::lod::{ViewChunk, ViewXf};
use super::raster::{RasterOut, SKIRT_BASE, SKY, split_id};
use super::terrain::TerrainModel;

/// What a pixel sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfacePixel {
    /// z-depth in metres along the optical axis.
    pub depth: f64,
    /// Unit normal in the model's ENU frame.
    pub normal: [f32; 3],
    /// Height of the DEM (as stored: above sea level for SRTM), metres.
    pub elevation: f32,
}

/// Per-pixel surface data of a view; `None` is sky.
#[derive(Debug, Clone)]
pub struct Surface {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major pixels.
    pub pixels: Vec<Option<SurfacePixel>>,
}

impl Surface {
    /// z-depth per pixel as `f32`, sky = `+inf`.
    pub fn depth_f32(&self) -> Vec<f32> {
        self.pixels.iter().map(|p| p.map_or(f32::INFINITY, |s| s.depth as f32)).collect()
    }

    /// Number of terrain pixels.
    pub fn terrain_pixels(&self) -> usize {
        self.pixels.iter().filter(|p| p.is_some()).count()
    }
}

fn vertex_index(model: &TerrainModel, vc: &ViewChunk, local: u32) -> Option<[usize; 3]> {
    let ch = &model.chunks[vc.chunk];
    let g = &model.grids[ch.grid];
    let nc = vc.cols.len();
    let cell = (local / 2) as usize;
    let (i, j) = (cell / (nc - 1), cell % (nc - 1));
    let at = |ii: usize, jj: usize| -> Option<usize> {
        Some(g.first_vertex + vc.rows.get(ii)? * g.width + vc.cols.get(jj)?)
    };
    let (a, b, c, d) = (at(i, j)?, at(i, j + 1)?, at(i + 1, j)?, at(i + 1, j + 1)?);
    Some(if local.is_multiple_of(2) { [a, c, b] } else { [b, c, d] })
}

/// One triangle's data, kept while consecutive pixels of a row hit it.
struct Tri {
    id: u32,
    p0: Vector3<f64>,
    /// Edges `p1 - p0`, `p2 - p0`, the plane normal and the barycentric system.
    e1: Vector3<f64>,
    e2: Vector3<f64>,
    n: Vector3<f64>,
    d: [f64; 4],
    normals: [[f32; 3]; 3],
    elevations: [f32; 3],
}

impl Tri {
    fn new(model: &TerrainModel, vc: &ViewChunk, id: u32, local: u32) -> Option<Self> {
        let tri = vertex_index(model, vc, local)?;
        let [p0, p1, p2] = tri.map(|i| model.position(i));
        let (p0, p1, p2) = (p0?, p1?, p2?);
        let (e1, e2) = (p1 - p0, p2 - p0);
        let (d00, d01, d11) = (e1.dot(&e1), e1.dot(&e2), e2.dot(&e2));
        Some(Self {
            id,
            p0,
            e1,
            e2,
            n: e1.cross(&e2),
            d: [d00, d01, d11, d00 * d11 - d01 * d01],
            normals: tri.map(|i| model.normals[i]),
            elevations: tri.map(|i| model.elevations[i]),
        })
    }

    /// Barycentric weights of a point on (or near) the plane, clamped into the triangle.
    fn barycentric(&self, q: &Vector3<f64>) -> [f64; 3] {
        let [d00, d01, d11, den] = self.d;
        if den.abs() < 1e-18 {
            return [1.0 / 3.0; 3];
        }
        let v2 = q - self.p0;
        let (d20, d21) = (v2.dot(&self.e1), v2.dot(&self.e2));
        let v = ((d11 * d20 - d01 * d21) / den).clamp(0.0, 1.0);
        let w = ((d00 * d21 - d01 * d20) / den).clamp(0.0, 1.0 - v);
        [1.0 - v - w, v, w]
    }

    fn pixel(&self, view: &ViewXf, dir: &Vector3<f64>, z_buf: f64) -> SurfacePixel {
        let denom = self.n.dot(dir);
        let t = if denom.abs() > 1e-12 * self.n.norm() * dir.norm() {
            self.n.dot(&(self.p0 - view.centre)) / denom
        } else {
            z_buf
        };
        // Keep the exact plane depth unless the pixel centre lies far off the triangle
        // (an inclusive edge at a silhouette), where the rasterised depth is safer.
        let depth = if t > 0.0 && (t - z_buf).abs() <= 0.05 * z_buf { t } else { z_buf };
        let bary = self.barycentric(&(view.centre + dir * depth));
        let mut nn = [0.0_f32; 3];
        for (a, wgt) in bary.iter().enumerate() {
            for (c, v) in nn.iter_mut().enumerate() {
                *v += *wgt as f32 * self.normals[a][c];
            }
        }
        let len = (nn[0] * nn[0] + nn[1] * nn[1] + nn[2] * nn[2]).sqrt().max(1e-6);
        let elevation = bary.iter().zip(self.elevations).map(|(b, e)| *b as f32 * e).sum();
        SurfacePixel { depth, normal: nn.map(|v| v / len), elevation }
    }
}

pub(crate) fn resolve(
    model: &TerrainModel,
    view: &ViewXf,
    chunks: &[ViewChunk],
    raster: &RasterOut,
) -> Surface {
    let (w, h) = (view.width, view.height);
    let rot_t = view.rot.transpose();
    let mut pixels = vec![None; w * h];
    pixels.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let mut cache: Option<Tri> = None;
        let fy = (y as f64 - view.cy) / view.focal;
        for (x, out) in row.iter_mut().enumerate() {
            let k = y * w + x;
            let id = raster.ids[k];
            if id == SKY {
                continue;
            }
            let z_buf = 1.0 / f64::from(raster.inv_z[k]);
            let (vci, local) = split_id(id);
            let Some(vc) = chunks.get(vci) else { continue };
            if local >= SKIRT_BASE {
                // A skirt fills a crack: keep the rasterised depth, take the corner vertex.
                let ch = &model.chunks[vc.chunk];
                let g = &model.grids[ch.grid];
                let e = model.elevations[g.first_vertex + ch.r0 * g.width + ch.c0];
                *out = Some(SurfacePixel { depth: z_buf, normal: [0.0, 0.0, 1.0], elevation: e });
                continue;
            }
            if cache.as_ref().is_none_or(|t| t.id != id) {
                cache = Tri::new(model, vc, id, local);
            }
            // Ray through the pixel with camera-frame z = 1: point = centre + t dir, z = t.
            let dir = rot_t * Vector3::new((x as f64 - view.cx) / view.focal, fy, 1.0);
            *out = cache.as_ref().map(|t| t.pixel(view, &dir, z_buf));
        }
    });
    Surface { width: w, height: h, pixels }
}
