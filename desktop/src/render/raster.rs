//! The triangle rasteriser: per view, the vertices of the selected chunks are moved into the
//! camera frame once; then bands of image rows are filled in parallel (rayon), each band
//! owning its rows of the z-buffer. The z-buffer holds `1/z`, which is affine in screen space,
//! so depth is perspective-correct; near-plane clipping, back-face culling for terrain and
//! inclusive edges (no cracks between neighbours).

use rayon::prelude::*;

use super::lod::{ViewChunk, ViewXf};
use super::terrain::TerrainModel;

/// Pixel id of sky.
pub(crate) const SKY: u32 = u32::MAX;
/// Local triangle ids at or above this are skirt triangles.
pub(crate) const SKIRT_BASE: u32 = 2048;
const LOCAL_BITS: u32 = 12;
const BAND_ROWS: usize = 16;

/// A vertex in the camera frame, with its projection when in front of the near plane.
#[derive(Debug, Clone, Copy)]
struct Pv {
    cam: [f32; 3],
    sx: f32,
    sy: f32,
}

/// A chunk's vertices for one view.
struct ProjChunk {
    verts: Vec<Pv>,
    /// Bottoms of the skirts of the four edges, in edge order.
    skirt_verts: [Vec<Pv>; 4],
    /// Pixel box `[x0, x1, y0, y1]` (inclusive), or `None` when off screen.
    bbox: Option<[i32; 4]>,
    /// Screen y range `(min, max)` of each row of cells (infinite when a vertex of the row
    /// is behind the near plane).
    row_spans: Vec<(f32, f32)>,
    flip: bool,
}

/// The result of the geometry pass.
#[derive(Debug, Clone)]
pub(crate) struct RasterOut {
    /// `1/z` per pixel (0 for sky).
    pub inv_z: Vec<f32>,
    /// `(view chunk << 12) | local triangle`, or [`SKY`].
    pub ids: Vec<u32>,
    /// Triangles that reached the edge test (after culling).
    pub triangles: u64,
}

/// Splits a pixel id into view-chunk index and local triangle index.
pub(crate) fn split_id(id: u32) -> (usize, u32) {
    ((id >> LOCAL_BITS) as usize, id & ((1 << LOCAL_BITS) - 1))
}

fn to_cam(view: &ViewXf, p: &[f32; 3]) -> [f32; 3] {
    let r = &view.rot;
    let c = &view.centre;
    let d = [f64::from(p[0]) - c.x, f64::from(p[1]) - c.y, f64::from(p[2]) - c.z];
    let row = |i: usize| (r[(i, 0)] * d[0] + r[(i, 1)] * d[1] + r[(i, 2)] * d[2]) as f32;
    [row(0), row(1), row(2)]
}

fn project(view: &ViewXf, cam: [f32; 3]) -> Pv {
    let z = f64::from(cam[2]);
    if z < view.near {
        return Pv { cam, sx: f32::NAN, sy: f32::NAN };
    }
    let sx = view.focal * f64::from(cam[0]) / z + view.cx;
    let sy = view.focal * f64::from(cam[1]) / z + view.cy;
    Pv { cam, sx: sx as f32, sy: sy as f32 }
}

fn prepare(model: &TerrainModel, view: &ViewXf, vc: &ViewChunk) -> ProjChunk {
    let ch = &model.chunks[vc.chunk];
    let g = &model.grids[ch.grid];
    let mut verts = Vec::with_capacity(vc.rows.len() * vc.cols.len());
    let (mut lo_x, mut hi_x, mut lo_y, mut hi_y) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    let mut behind = false;
    let mut note = |pv: &Pv| {
        if pv.sx.is_nan() {
            behind |= pv.cam[2].is_finite();
        } else {
            lo_x = lo_x.min(pv.sx);
            hi_x = hi_x.max(pv.sx);
            lo_y = lo_y.min(pv.sy);
            hi_y = hi_y.max(pv.sy);
        }
    };
    for &r in &vc.rows {
        for &c in &vc.cols {
            let pv =
                project(view, to_cam(view, &model.positions[g.first_vertex + r * g.width + c]));
            note(&pv);
            verts.push(pv);
        }
    }
    let (nr, nc) = (vc.rows.len(), vc.cols.len());
    let down = to_cam_dir(view, vc.skirt_m);
    let edge_idx: [Vec<usize>; 4] = [
        (0..nc).collect(),
        (0..nc).map(|j| (nr - 1) * nc + j).collect(),
        (0..nr).map(|i| i * nc).collect(),
        (0..nr).map(|i| i * nc + nc - 1).collect(),
    ];
    let skirt_verts = std::array::from_fn(|e| {
        if !vc.skirts[e] {
            return Vec::new();
        }
        edge_idx[e]
            .iter()
            .map(|&k| {
                let c = verts[k].cam;
                let pv = project(view, [c[0] + down[0], c[1] + down[1], c[2] + down[2]]);
                note(&pv);
                pv
            })
            .collect()
    });
    let (w, h) = (view.width as f32, view.height as f32);
    let bbox = if behind {
        Some([0, view.width as i32 - 1, 0, view.height as i32 - 1])
    } else if lo_x > w || hi_x < -1.0 || lo_y > h || hi_y < -1.0 || lo_x > hi_x {
        None
    } else {
        Some([
            lo_x.max(0.0).floor() as i32,
            hi_x.min(w - 1.0).ceil() as i32,
            lo_y.max(0.0).floor() as i32,
            hi_y.min(h - 1.0).ceil() as i32,
        ])
    };
    let row_spans = (0..nr - 1)
        .map(|i| {
            let cells = &verts[i * nc..(i + 2) * nc];
            cells.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                if v.sx.is_nan() && v.cam[2].is_finite() {
                    (f32::NEG_INFINITY, f32::INFINITY)
                } else if v.sx.is_nan() {
                    (lo, hi)
                } else {
                    (lo.min(v.sy), hi.max(v.sy))
                }
            })
        })
        .collect();
    ProjChunk { verts, skirt_verts, bbox, row_spans, flip: g.flip }
}

/// The model's "down" direction scaled by `m`, in the camera frame.
fn to_cam_dir(view: &ViewXf, m: f32) -> [f32; 3] {
    let r = &view.rot;
    let m = f64::from(m);
    [(-r[(0, 2)] * m) as f32, (-r[(1, 2)] * m) as f32, (-r[(2, 2)] * m) as f32]
}

/// A band of rows being filled.
struct Band<'a> {
    y0: i32,
    y1: i32,
    width: usize,
    inv_z: &'a mut [f32],
    ids: &'a mut [u32],
    triangles: u64,
}

/// Rasterises the chunks into a z-buffer and id buffer.
pub(crate) fn rasterise(model: &TerrainModel, view: &ViewXf, chunks: &[ViewChunk]) -> RasterOut {
    let prepared: Vec<ProjChunk> = chunks.par_iter().map(|vc| prepare(model, view, vc)).collect();
    let (w, h) = (view.width, view.height);
    let mut inv_z = vec![0.0_f32; w * h];
    let mut ids = vec![SKY; w * h];
    let triangles: u64 = inv_z
        .par_chunks_mut(BAND_ROWS * w)
        .zip(ids.par_chunks_mut(BAND_ROWS * w))
        .enumerate()
        .map(|(b, (zb, ib))| {
            let y0 = (b * BAND_ROWS) as i32;
            let rows = zb.len() / w;
            let mut band =
                Band { y0, y1: y0 + rows as i32 - 1, width: w, inv_z: zb, ids: ib, triangles: 0 };
            for (k, (pc, vc)) in prepared.iter().zip(chunks).enumerate() {
                let Some(bb) = pc.bbox else { continue };
                if bb[3] < band.y0 || bb[2] > band.y1 {
                    continue;
                }
                draw_chunk(&mut band, view, pc, vc, (k as u32) << LOCAL_BITS);
            }
            band.triangles
        })
        .sum();
    RasterOut { inv_z, ids, triangles }
}

fn draw_chunk(band: &mut Band<'_>, view: &ViewXf, pc: &ProjChunk, vc: &ViewChunk, base: u32) {
    let (nr, nc) = (vc.rows.len(), vc.cols.len());
    let v = &pc.verts;
    let (band_lo, band_hi) = (band.y0 as f32 - 1.0, band.y1 as f32 + 1.0);
    for i in 0..nr - 1 {
        let (lo, hi) = pc.row_spans[i];
        if hi < band_lo || lo > band_hi {
            continue;
        }
        for j in 0..nc - 1 {
            let a = i * nc + j;
            let (b, c, d) = (a + 1, a + nc, a + nc + 1);
            let local = 2 * (i * (nc - 1) + j) as u32;
            let (t1, t2) = if pc.flip { ([a, b, c], [b, d, c]) } else { ([a, c, b], [b, c, d]) };
            draw_tri(band, view, [v[t1[0]], v[t1[1]], v[t1[2]]], base | local, true);
            draw_tri(band, view, [v[t2[0]], v[t2[1]], v[t2[2]]], base | (local + 1), true);
        }
    }
    let edge_idx = |e: usize, k: usize| match e {
        0 => k,
        1 => (nr - 1) * nc + k,
        2 => k * nc,
        _ => k * nc + nc - 1,
    };
    for (e, bottom) in pc.skirt_verts.iter().enumerate() {
        for k in 0..bottom.len().saturating_sub(1) {
            let (t0, t1) = (v[edge_idx(e, k)], v[edge_idx(e, k + 1)]);
            let id = base | (SKIRT_BASE + (e * 64 + 2 * k) as u32);
            draw_tri(band, view, [t0, t1, bottom[k]], id, false);
            draw_tri(band, view, [t1, bottom[k + 1], bottom[k]], id + 1, false);
        }
    }
}

fn draw_tri(band: &mut Band<'_>, view: &ViewXf, t: [Pv; 3], id: u32, cull: bool) {
    if t.iter().any(|p| !p.cam[0].is_finite()) {
        return;
    }
    let behind = t.iter().filter(|p| p.sx.is_nan()).count();
    if behind == 0 {
        fill(band, [s3(&t[0]), s3(&t[1]), s3(&t[2])], id, cull);
        return;
    }
    if behind == 3 {
        return;
    }
    // Clip against z = near (Sutherland-Hodgman, one plane), then fan.
    let near = view.near as f32;
    let mut poly: Vec<[f32; 3]> = Vec::with_capacity(4);
    for k in 0..3 {
        let (p, q) = (t[k].cam, t[(k + 1) % 3].cam);
        let (pin, qin) = (p[2] >= near, q[2] >= near);
        if pin {
            poly.push(p);
        }
        if pin != qin {
            let s = (near - p[2]) / (q[2] - p[2]);
            poly.push([p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1]), near]);
        }
    }
    let pts: Vec<[f64; 3]> = poly
        .iter()
        .map(|c| {
            let z = f64::from(c[2]).max(view.near);
            [
                view.focal * f64::from(c[0]) / z + view.cx,
                view.focal * f64::from(c[1]) / z + view.cy,
                1.0 / z,
            ]
        })
        .collect();
    for k in 1..pts.len().saturating_sub(1) {
        fill(band, [pts[0], pts[k], pts[k + 1]], id, cull);
    }
}

fn s3(p: &Pv) -> [f64; 3] {
    [f64::from(p.sx), f64::from(p.sy), 1.0 / f64::from(p.cam[2])]
}

/// Fills one screen triangle `(x, y, 1/z)` within the band: inclusive edges, z-test on 1/z.
fn fill(band: &mut Band<'_>, mut v: [[f64; 3]; 3], id: u32, cull: bool) {
    let area =
        (v[1][0] - v[0][0]) * (v[2][1] - v[0][1]) - (v[1][1] - v[0][1]) * (v[2][0] - v[0][0]);
    // Terrain faces the camera when its image area is negative (y down).
    if (cull && area >= 0.0) || area == 0.0 || !area.is_finite() {
        return;
    }
    if area < 0.0 {
        v.swap(1, 2);
    }
    let area = area.abs();
    let xmin = v[0][0].min(v[1][0]).min(v[2][0]).ceil().max(0.0);
    let xmax = v[0][0].max(v[1][0]).max(v[2][0]).floor().min((band.width - 1) as f64);
    let ymin = v[0][1].min(v[1][1]).min(v[2][1]).ceil().max(f64::from(band.y0));
    let ymax = v[0][1].max(v[1][1]).max(v[2][1]).floor().min(f64::from(band.y1));
    if xmin > xmax || ymin > ymax {
        return;
    }
    band.triangles += 1;
    // Edge k is opposite vertex k: e_k(p) = A x + B y + C, positive inside.
    let edge = |a: [f64; 3], b: [f64; 3]| {
        let (ea, eb) = (-(b[1] - a[1]), b[0] - a[0]);
        (ea, eb, -(ea * a[0] + eb * a[1]))
    };
    let es = [edge(v[1], v[2]), edge(v[2], v[0]), edge(v[0], v[1])];
    let iz = [v[0][2] / area, v[1][2] / area, v[2][2] / area];
    let (x0, x1) = (xmin as usize, xmax as usize);
    for y in (ymin as i32)..=(ymax as i32) {
        let fy = f64::from(y);
        let row = (y - band.y0) as usize * band.width;
        let mut e = es.map(|(a, b, c)| a * x0 as f64 + b * fy + c);
        for x in x0..=x1 {
            if e[0] >= 0.0 && e[1] >= 0.0 && e[2] >= 0.0 {
                let z = (e[0] * iz[0] + e[1] * iz[1] + e[2] * iz[2]) as f32;
                let k = row + x;
                if z > band.inv_z[k] {
                    band.inv_z[k] = z;
                    band.ids[k] = id;
                }
            }
            for (ek, (a, _, _)) in e.iter_mut().zip(&es) {
                *ek += a;
            }
        }
    }
}
