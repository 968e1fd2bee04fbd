//! The terrain model: every DEM sample as a vertex in a local ENU frame (f64 geometry from
//! exact ECEF, stored as `f32` offsets from a full-precision origin near the data, so the
//! earth's curvature is exact), per-vertex normals and heights, cut into square chunks with
//! bounding spheres for culling and level of detail.

use lsar_geometry::geodesy::{Geodetic, LocalFrame};
use nalgebra::Vector3;
use rayon::prelude::*;

use crate::dem::Dem;

/// Cells per chunk side.
pub const CHUNK_CELLS: usize = 32;

/// One grid of the mosaic inside the model.
#[derive(Debug, Clone)]
pub(crate) struct GridMesh {
    pub width: usize,
    pub height: usize,
    /// Index of the grid's first vertex in the model arrays.
    pub first_vertex: usize,
    /// Sample spacing in metres.
    pub cell_m: f64,
    /// Whether `(row, col)`-ordered triangles face down (south-up or east-left grids).
    pub flip: bool,
}

/// A square block of cells of one grid.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub grid: usize,
    /// First and last vertex column/row (inclusive).
    pub c0: usize,
    pub c1: usize,
    pub r0: usize,
    pub r1: usize,
    /// Chunk index `(i, j)` in its grid's chunk lattice.
    pub ci: usize,
    pub cj: usize,
    /// Bounding sphere in the model frame.
    pub centre: Vector3<f64>,
    pub radius: f64,
}

/// Terrain ready to render: vertices of all grids in one local frame.
#[derive(Debug, Clone)]
pub struct TerrainModel {
    frame: LocalFrame,
    pub(crate) grids: Vec<GridMesh>,
    pub(crate) chunks: Vec<Chunk>,
    /// Chunk lattice size per grid: `(columns, rows)`.
    pub(crate) lattice: Vec<(usize, usize)>,
    pub(crate) positions: Vec<[f32; 3]>,
    pub(crate) normals: Vec<[f32; 3]>,
    pub(crate) elevations: Vec<f32>,
    dem: Dem,
}

impl TerrainModel {
    /// Builds the model of a DEM mosaic (in parallel). Returns `None` when the DEM has no
    /// valid sample or no geographic extent.
    pub fn new(dem: Dem) -> Option<Self> {
        let b = dem.bounds()?;
        let lat0 = 0.5 * (b.south + b.north);
        let lon0 = 0.5 * (b.west + b.east);
        let frame = LocalFrame::new(Geodetic::new(lat0, lon0, 0.0));
        let mut grids = Vec::new();
        let mut positions = Vec::new();
        let mut elevations = Vec::new();
        for g in dem.grids() {
            let (w, h) = (g.width(), g.height());
            let t = g.transform();
            grids.push(GridMesh {
                width: w,
                height: h,
                first_vertex: positions.len(),
                cell_m: g.cell_size_m(),
                flip: t.dx * t.dy > 0.0,
            });
            let rows: Vec<Vec<([f32; 3], f32)>> = (0..h)
                .into_par_iter()
                .map(|r| {
                    (0..w)
                        .map(|c| {
                            let nan = ([f32::NAN; 3], f32::NAN);
                            let Some(hm) = g.at(c, r) else { return nan };
                            let Some((lat, lon)) = g.lat_lon_of(c as f64, r as f64) else {
                                return nan;
                            };
                            let hh = f64::from(hm) + dem.undulation(lat, lon);
                            let p = frame.enu_from_geodetic(&Geodetic::new(lat, lon, hh));
                            ([p.x as f32, p.y as f32, p.z as f32], hm)
                        })
                        .collect()
                })
                .collect();
            for row in rows {
                for (p, e) in row {
                    positions.push(p);
                    elevations.push(e);
                }
            }
        }
        let normals = compute_normals(&grids, &positions);
        let mut model = Self {
            frame,
            grids,
            chunks: Vec::new(),
            lattice: Vec::new(),
            positions,
            normals,
            elevations,
            dem,
        };
        model.build_chunks();
        (!model.chunks.is_empty()).then_some(model)
    }

    fn build_chunks(&mut self) {
        for (gi, g) in self.grids.iter().enumerate() {
            let nj = (g.width - 1).div_ceil(CHUNK_CELLS);
            let ni = (g.height - 1).div_ceil(CHUNK_CELLS);
            self.lattice.push((nj, ni));
            for ci in 0..ni {
                for cj in 0..nj {
                    let (r0, c0) = (ci * CHUNK_CELLS, cj * CHUNK_CELLS);
                    let r1 = (r0 + CHUNK_CELLS).min(g.height - 1);
                    let c1 = (c0 + CHUNK_CELLS).min(g.width - 1);
                    let mut lo = Vector3::repeat(f64::INFINITY);
                    let mut hi = Vector3::repeat(f64::NEG_INFINITY);
                    for r in r0..=r1 {
                        for c in c0..=c1 {
                            let p = self.positions[g.first_vertex + r * g.width + c];
                            if p[0].is_finite() {
                                let v = Vector3::new(p[0], p[1], p[2]).cast::<f64>();
                                lo = lo.inf(&v);
                                hi = hi.sup(&v);
                            }
                        }
                    }
                    if lo.x.is_finite() {
                        let centre = 0.5 * (lo + hi);
                        let radius = 0.5 * (hi - lo).norm() + 1.0;
                        self.chunks.push(Chunk {
                            grid: gi,
                            c0,
                            c1,
                            r0,
                            r1,
                            ci,
                            cj,
                            centre,
                            radius,
                        });
                    }
                }
            }
        }
    }

    /// The local frame whose ENU axes the vertices are in.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    /// The DEM the model was built from.
    pub fn dem(&self) -> &Dem {
        &self.dem
    }

    /// Number of vertices (all grids, nodata included).
    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    /// Number of chunks with data.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Model-frame position of vertex `index` as `f64`, `None` for nodata.
    pub(crate) fn position(&self, index: usize) -> Option<Vector3<f64>> {
        let p = self.positions.get(index)?;
        p[0].is_finite().then(|| Vector3::new(f64::from(p[0]), f64::from(p[1]), f64::from(p[2])))
    }
}

fn compute_normals(grids: &[GridMesh], positions: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let mut normals = vec![[0.0, 0.0, 1.0]; positions.len()];
    for g in grids {
        let (w, h) = (g.width, g.height);
        let base = g.first_vertex;
        let pos = |r: usize, c: usize| {
            let p = positions[base + r * w + c];
            p[0].is_finite().then(|| Vector3::new(p[0], p[1], p[2]))
        };
        normals[base..base + w * h].par_chunks_mut(w).enumerate().for_each(|(r, row)| {
            for (c, n) in row.iter_mut().enumerate() {
                let Some(p) = pos(r, c) else { continue };
                let left = if c > 0 { pos(r, c - 1) } else { None }.unwrap_or(p);
                let right = if c + 1 < w { pos(r, c + 1) } else { None }.unwrap_or(p);
                let up = if r > 0 { pos(r - 1, c) } else { None }.unwrap_or(p);
                let down = if r + 1 < h { pos(r + 1, c) } else { None }.unwrap_or(p);
                let v = (right - left).cross(&(up - down));
                let v = if g.flip { -v } else { v };
                let len = v.norm();
                if len > 0.0 {
                    *n = [v.x / len, v.y / len, v.z / len];
                }
            }
        });
    }
    normals
}
