//! One georeferenced height grid with bilinear sampling; nodata is `NaN` and stays a hole.

use super::crs::Crs;

/// Where the samples of a grid sit in its CRS: sample `(col, row)` is at
/// `x = x0 + col dx`, `y = y0 + row dy` (the sample *centre*, whatever the file's
/// registration was; `dy < 0` for north-up grids).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTransform {
    /// The CRS of `x` and `y`.
    pub crs: Crs,
    /// `x` of the sample in column 0.
    pub x0: f64,
    /// `y` of the sample in row 0.
    pub y0: f64,
    /// Step in `x` per column.
    pub dx: f64,
    /// Step in `y` per row (negative for north-up).
    pub dy: f64,
}

/// A height grid: row-major `f32` heights in metres (as stored in the file: above sea level
/// for SRTM), `NaN` where the file has no data.
#[derive(Debug, Clone)]
pub struct DemGrid {
    width: usize,
    height: usize,
    heights: Vec<f32>,
    transform: GeoTransform,
}

/// Extent of a grid in latitude and longitude (degrees), of the sample centres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLonBounds {
    /// Southernmost latitude.
    pub south: f64,
    /// Northernmost latitude.
    pub north: f64,
    /// Westernmost longitude.
    pub west: f64,
    /// Easternmost longitude.
    pub east: f64,
}

impl DemGrid {
    /// A grid from its samples; `None` when `heights.len() != width * height`, a size is zero,
    /// or a step is zero or not finite.
    pub fn new(
        width: usize,
        height: usize,
        heights: Vec<f32>,
        transform: GeoTransform,
    ) -> Option<Self> {
        let t = &transform;
        let ok = width > 0
            && height > 0
            && heights.len() == width.checked_mul(height)?
            && [t.x0, t.y0, t.dx, t.dy].iter().all(|v| v.is_finite())
            && t.dx != 0.0
            && t.dy != 0.0;
        ok.then_some(Self { width, height, heights, transform })
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Row-major heights, `NaN` for nodata.
    pub fn heights(&self) -> &[f32] {
        &self.heights
    }

    /// Placement of the samples.
    pub fn transform(&self) -> &GeoTransform {
        &self.transform
    }

    /// The height of sample `(col, row)`, `None` outside the grid or for nodata.
    pub fn at(&self, col: usize, row: usize) -> Option<f32> {
        if col >= self.width || row >= self.height {
            return None;
        }
        let v = self.heights[row * self.width + col];
        v.is_finite().then_some(v)
    }

    /// Number of nodata samples.
    pub fn nodata_count(&self) -> usize {
        self.heights.iter().filter(|v| !v.is_finite()).count()
    }

    /// Smallest and largest valid height, `None` if all are nodata.
    pub fn min_max(&self) -> Option<(f32, f32)> {
        self.heights.iter().filter(|v| v.is_finite()).fold(None, |acc, &v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
    }

    /// Fractional `(col, row)` of grid coordinates.
    pub fn pixel_of(&self, x: f64, y: f64) -> (f64, f64) {
        let t = &self.transform;
        ((x - t.x0) / t.dx, (y - t.y0) / t.dy)
    }

    /// Grid coordinates of fractional `(col, row)`.
    pub fn coords_of(&self, col: f64, row: f64) -> (f64, f64) {
        let t = &self.transform;
        (t.x0 + col * t.dx, t.y0 + row * t.dy)
    }

    /// Bilinear height at grid coordinates; `None` outside the sample centres or where any of
    /// the four neighbours is nodata (holes are never filled with zeros).
    pub fn sample_xy(&self, x: f64, y: f64) -> Option<f64> {
        let (c, r) = self.pixel_of(x, y);
        self.sample_pixel(c, r)
    }

    /// Bilinear height at fractional `(col, row)`.
    pub fn sample_pixel(&self, col: f64, row: f64) -> Option<f64> {
        let max_c = (self.width - 1) as f64;
        let max_r = (self.height - 1) as f64;
        let eps = 1e-9;
        if !(col >= -eps && row >= -eps && col <= max_c + eps && row <= max_r + eps) {
            return None;
        }
        let col = col.clamp(0.0, max_c);
        let row = row.clamp(0.0, max_r);
        // In range by the checks above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (c0, r0) = (
            (col.floor() as usize).min(self.width.saturating_sub(2)),
            (row.floor() as usize).min(self.height.saturating_sub(2)),
        );
        let fx = col - c0 as f64;
        let fy = row - r0 as f64;
        let c1 = (c0 + 1).min(self.width - 1);
        let r1 = (r0 + 1).min(self.height - 1);
        let mut sum = 0.0;
        for (cc, rr, w) in [
            (c0, r0, (1.0 - fx) * (1.0 - fy)),
            (c1, r0, fx * (1.0 - fy)),
            (c0, r1, (1.0 - fx) * fy),
            (c1, r1, fx * fy),
        ] {
            if w > 0.0 {
                sum += w * f64::from(self.at(cc, rr)?);
            }
        }
        Some(sum)
    }

    /// Bilinear height (as stored) at a latitude and longitude.
    pub fn sample_lat_lon(&self, lat: f64, lon: f64) -> Option<f64> {
        let (x, y) = self.transform.crs.from_lat_lon(lat, lon)?;
        self.sample_xy(x, y)
    }

    /// Latitude and longitude of sample `(col, row)`.
    pub fn lat_lon_of(&self, col: f64, row: f64) -> Option<(f64, f64)> {
        let (x, y) = self.coords_of(col, row);
        self.transform.crs.to_lat_lon(x, y)
    }

    /// The latitude/longitude box of the sample centres (for projected grids, of the edges
    /// sampled every 16 samples).
    pub fn bounds(&self) -> Option<LatLonBounds> {
        let (w, h) = ((self.width - 1) as f64, (self.height - 1) as f64);
        let mut pts = Vec::new();
        let n = (self.width.max(self.height) / 16).max(1);
        for i in 0..=n {
            let f = i as f64 / n as f64;
            pts.extend([(f * w, 0.0), (f * w, h), (0.0, f * h), (w, f * h)]);
        }
        let mut b = LatLonBounds {
            south: f64::INFINITY,
            north: f64::NEG_INFINITY,
            west: f64::INFINITY,
            east: f64::NEG_INFINITY,
        };
        for (c, r) in pts {
            let (lat, lon) = self.lat_lon_of(c, r)?;
            b.south = b.south.min(lat);
            b.north = b.north.max(lat);
            b.west = b.west.min(lon);
            b.east = b.east.max(lon);
        }
        Some(b)
    }

    /// Approximate sample spacing in metres (the larger of the two axes).
    pub fn cell_size_m(&self) -> f64 {
        let t = &self.transform;
        if t.crs.is_geographic() {
            let lat = (t.y0 + 0.5 * (self.height as f64 - 1.0) * t.dy).to_radians();
            let m_per_deg = 111_320.0;
            (t.dx.abs() * m_per_deg * lat.cos()).max(t.dy.abs() * m_per_deg)
        } else {
            t.dx.abs().max(t.dy.abs())
        }
    }
}
