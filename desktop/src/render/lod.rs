//! Per-view selection of chunks: culling by visible radius and view frustum, a level of
//! detail by distance (a power-of-two vertex step), and skirts where neighbours differ.

use nalgebra::{Matrix3, Vector3};

use super::terrain::{CHUNK_CELLS, TerrainModel};

/// The most chunks one view draws (pixel ids keep 20 bits for the chunk).
pub(crate) const MAX_VIEW_CHUNKS: usize = (1 << 20) - 1;

/// A chunk chosen for one view, with its vertex lattice at the chosen step.
#[derive(Debug, Clone)]
pub(crate) struct ViewChunk {
    /// Index into the model's chunks.
    pub chunk: usize,
    /// Vertex rows and columns used (grid indices, first and last always included).
    pub rows: Vec<usize>,
    pub cols: Vec<usize>,
    /// Skirts on the top (first row), bottom, left and right edges.
    pub skirts: [bool; 4],
    /// How far skirts hang below the edge, metres.
    pub skirt_m: f32,
}

/// The camera as the rasteriser sees it, in the model frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ViewXf {
    /// `cam_from_model` rotation.
    pub rot: Matrix3<f64>,
    /// Camera centre in the model frame.
    pub centre: Vector3<f64>,
    pub focal: f64,
    pub cx: f64,
    pub cy: f64,
    pub width: usize,
    pub height: usize,
    pub near: f64,
}

impl ViewXf {
    /// Inward unit normals of the four side planes of the frustum (camera frame, through
    /// the camera centre), with half a pixel of margin.
    fn side_planes(&self) -> [Vector3<f64>; 4] {
        let (f, w, h) = (self.focal, self.width as f64, self.height as f64);
        [
            Vector3::new(f, 0.0, self.cx + 1.0),
            Vector3::new(-f, 0.0, w - self.cx),
            Vector3::new(0.0, f, self.cy + 1.0),
            Vector3::new(0.0, -f, h - self.cy),
        ]
        .map(|n| n.normalize())
    }
}

/// Level-of-detail and culling settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LodParams {
    pub visible_radius_m: f64,
    /// Largest projected cell size in pixels before the step doubles; 0 = full resolution.
    pub pixel_error: f64,
}

fn lattice(lo: usize, hi: usize, step: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (lo..hi).step_by(step).collect();
    v.push(hi);
    v
}

/// The chunks of `model` visible to `view`, each with its step and skirts.
pub(crate) fn select_chunks(
    model: &TerrainModel,
    view: &ViewXf,
    lod: &LodParams,
) -> Vec<ViewChunk> {
    let planes = view.side_planes();
    // Step of every chunk (visible or not), so that neighbours can be compared.
    let steps: Vec<usize> = model
        .chunks
        .iter()
        .map(|ch| {
            let g = &model.grids[ch.grid];
            let d = ((ch.centre - view.centre).norm() - ch.radius).max(view.near);
            if lod.pixel_error <= 0.0 {
                return 1;
            }
            let allowed = lod.pixel_error * d / view.focal / g.cell_m;
            let mut s = 1;
            while s * 2 <= CHUNK_CELLS && (s * 2) as f64 <= allowed {
                s *= 2;
            }
            s
        })
        .collect();
    // Chunk index by lattice position, per grid.
    let mut index: Vec<Vec<Option<usize>>> =
        model.lattice.iter().map(|&(nj, ni)| vec![None; nj * ni]).collect();
    for (k, ch) in model.chunks.iter().enumerate() {
        let nj = model.lattice[ch.grid].0;
        index[ch.grid][ch.ci * nj + ch.cj] = Some(k);
    }
    let step_at = |grid: usize, ci: isize, cj: isize| -> Option<usize> {
        let (nj, ni) = model.lattice[grid];
        if ci < 0 || cj < 0 || ci as usize >= ni || cj as usize >= nj {
            return None;
        }
        index[grid][ci as usize * nj + cj as usize].map(|k| steps[k])
    };
    let mut out: Vec<(f64, ViewChunk)> = Vec::new();
    for (k, ch) in model.chunks.iter().enumerate() {
        let rel = ch.centre - view.centre;
        if rel.norm() - ch.radius > lod.visible_radius_m {
            continue;
        }
        let c = view.rot * rel;
        if c.z < view.near - ch.radius || planes.iter().any(|n| n.dot(&c) < -ch.radius) {
            continue;
        }
        let step = steps[k];
        let (ci, cj) = (ch.ci as isize, ch.cj as isize);
        let differs = |n: Option<usize>| n.is_some_and(|s| s != step);
        let skirts = [
            differs(step_at(ch.grid, ci - 1, cj)),
            differs(step_at(ch.grid, ci + 1, cj)),
            differs(step_at(ch.grid, ci, cj - 1)),
            differs(step_at(ch.grid, ci, cj + 1)),
        ];
        let g = &model.grids[ch.grid];
        out.push((
            rel.norm(),
            ViewChunk {
                chunk: k,
                rows: lattice(ch.r0, ch.r1, step),
                cols: lattice(ch.c0, ch.c1, step),
                skirts,
                skirt_m: (2.0 * step as f64 * g.cell_m) as f32,
            },
        ));
    }
    // Pixel ids hold the view-chunk index in 20 bits: keep the nearest chunks if more pass.
    if out.len() > MAX_VIEW_CHUNKS {
        tracing::warn!("{} chunks visible, drawing the nearest {MAX_VIEW_CHUNKS}", out.len());
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.truncate(MAX_VIEW_CHUNKS);
    }
    out.into_iter().map(|(_, c)| c).collect()
}
