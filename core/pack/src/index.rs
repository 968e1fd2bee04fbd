//! A uniform grid over the viewpoints' east/north positions, built on open, that answers
//! "which viewpoints are within R metres (horizontally) of this point" by scanning only the
//! cells the circle touches.
//!
//! The cell size is chosen so that a cell holds about two viewpoints on average, and the grid
//! has at most about `1.5 n + 4` cells whatever the point layout (a line of viewpoints gets
//! one row of cells). Build is O(n); memory is two `u32` per viewpoint plus one per cell.

/// Grid index of viewpoint positions in the ENU east/north plane.
#[derive(Debug, Clone, Default)]
pub struct ViewpointIndex {
    /// East/north of each viewpoint, by viewpoint index.
    points: Vec<[f64; 2]>,
    /// Lower-left corner of the grid.
    min: [f64; 2],
    /// Cell side in metres.
    cell: f64,
    /// Cells along east and north.
    nx: usize,
    ny: usize,
    /// `ids[starts[c]..starts[c + 1]]` are the viewpoints in cell `c` (row-major, north rows).
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl ViewpointIndex {
    /// Builds the index over east/north positions. Points that are not finite are left out.
    pub fn build(points: Vec<[f64; 2]>) -> Self {
        let finite = |p: &[f64; 2]| p[0].is_finite() && p[1].is_finite();
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for p in points.iter().filter(|p| finite(p)) {
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        }
        let n = points.iter().filter(|p| finite(p)).count();
        if n == 0 {
            return Self { points, cell: 1.0, nx: 1, ny: 1, starts: vec![0, 0], ..Self::default() };
        }
        let (w, h) = (max[0] - min[0], max[1] - min[1]);
        let target = (n as f64 / 2.0).max(1.0);
        let cell = (w * h / target).sqrt().max(w.max(h) / target).max(1e-6);
        let nx = cells_along(w, cell);
        let ny = cells_along(h, cell);
        let mut index = Self { points, min, cell, nx, ny, starts: Vec::new(), ids: Vec::new() };
        let cell_of: Vec<Option<usize>> =
            index.points.iter().map(|p| finite(p).then(|| index.cell_of(*p))).collect();
        let mut counts = vec![0u32; nx * ny + 1];
        for c in cell_of.iter().flatten() {
            if let Some(slot) = counts.get_mut(c + 1) {
                *slot += 1;
            }
        }
        for i in 1..counts.len() {
            let prev = counts.get(i - 1).copied().unwrap_or(0);
            if let Some(slot) = counts.get_mut(i) {
                *slot += prev;
            }
        }
        let mut fill = counts.clone();
        let mut ids = vec![0u32; n];
        for (id, c) in cell_of.iter().enumerate() {
            let Some(c) = c else { continue };
            if let Some(pos) = fill.get_mut(*c) {
                if let Some(slot) = ids.get_mut(*pos as usize) {
                    *slot = u32::try_from(id).unwrap_or(u32::MAX);
                }
                *pos += 1;
            }
        }
        index.starts = counts;
        index.ids = ids;
        index
    }

    fn cell_coord(&self, v: f64, axis: usize, cells: usize) -> usize {
        let t = ((v - self.min[axis]) / self.cell).floor();
        // `as` saturates (and maps NaN to 0); the clamp keeps the coordinate in the grid.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let c = t.max(0.0) as usize;
        c.min(cells.saturating_sub(1))
    }

    fn cell_of(&self, p: [f64; 2]) -> usize {
        self.cell_coord(p[1], 1, self.ny) * self.nx + self.cell_coord(p[0], 0, self.nx)
    }

    /// Number of indexed positions (including non-finite ones, which never match).
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Appends to `out` (after clearing it) the indices of the viewpoints whose horizontal
    /// distance to `center_en` (east, north in metres) is at most `radius_m`, in ascending
    /// order. A negative, NaN or non-finite input gives no viewpoints.
    pub fn within(&self, center_en: [f64; 2], radius_m: f64, out: &mut Vec<u32>) {
        out.clear();
        let [cx, cy] = center_en;
        if !(cx.is_finite() && cy.is_finite() && radius_m >= 0.0 && radius_m.is_finite()) {
            return;
        }
        if self.ids.is_empty() {
            return;
        }
        let (x0, x1) = (
            self.cell_coord(cx - radius_m, 0, self.nx),
            self.cell_coord(cx + radius_m, 0, self.nx),
        );
        let (y0, y1) = (
            self.cell_coord(cy - radius_m, 1, self.ny),
            self.cell_coord(cy + radius_m, 1, self.ny),
        );
        let r2 = radius_m * radius_m;
        for row in y0..=y1 {
            let a = self.starts.get(row * self.nx + x0).copied().unwrap_or(0) as usize;
            let b = self.starts.get(row * self.nx + x1 + 1).copied().unwrap_or(0) as usize;
            for id in self.ids.get(a..b).unwrap_or_default() {
                if let Some([x, y]) = self.points.get(*id as usize) {
                    let (dx, dy) = (x - cx, y - cy);
                    if dx * dx + dy * dy <= r2 {
                        out.push(*id);
                    }
                }
            }
        }
        out.sort_unstable();
    }
}

/// Number of cells of side `cell` that cover a length `extent` (at least one).
fn cells_along(extent: f64, cell: f64) -> usize {
    let n = (extent / cell).floor() + 1.0;
    // Bounded by the cell-size choice (extent / cell <= n / 2); the checks guard the cast
    // against infinite or NaN extents (finite coordinates near f64::MAX).
    if !(1.0..=1e9).contains(&n) {
        return 1;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = n as usize;
    n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_points_in_a_circle() {
        let pts = vec![[0.0, 0.0], [100.0, 0.0], [0.0, 250.0], [f64::NAN, 0.0], [-80.0, -60.0]];
        let idx = ViewpointIndex::build(pts);
        let mut out = Vec::new();
        idx.within([0.0, 0.0], 100.0, &mut out);
        assert_eq!(out, vec![0, 1, 4]);
        idx.within([0.0, 0.0], -1.0, &mut out);
        assert!(out.is_empty());
        idx.within([0.0, 0.0], f64::NAN, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn extreme_coordinates_do_not_break_the_grid() {
        let pts = vec![[-1e308, 0.0], [1e308, 0.0], [0.0, f64::MAX], [0.0, 0.0]];
        let idx = ViewpointIndex::build(pts);
        let mut out = Vec::new();
        idx.within([0.0, 0.0], 1.0, &mut out);
        assert_eq!(out, vec![3]);
        idx.within([1e308, 0.0], 1e100, &mut out);
        assert_eq!(out, vec![1]);
    }

    #[test]
    fn empty_index_answers_nothing() {
        let mut out = vec![7];
        ViewpointIndex::build(Vec::new()).within([0.0, 0.0], 10.0, &mut out);
        assert!(out.is_empty());
    }
}
