//! The overlay's output, [`Label`]s with their text boxes and leader lines, and the
//! declutter that chooses which labels to draw so that no two text boxes overlap.
//!
//! Greedy by priority: visible before hidden (hidden labels take part only when the caller
//! includes them), then higher prominence (unknown last), then nearer, then by name, bearing
//! and elevation. Every key is compared with a total order, so the same input always gives
//! the same output, whatever the input order: labels do not flicker between frames when POIs
//! arrive in another order, and the big keys (prominence) change only with the POI set. Each
//! label in turn is kept if its box overlaps no box kept before it.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::overlay::visibility::Visibility;

/// An axis-aligned box in pixel coordinates (x right, y down; `(0, 0)` is the centre of the
/// top-left pixel). `x_min <= x_max`, `y_min <= y_max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelBox {
    /// Left edge, pixels.
    pub x_min: f64,
    /// Top edge, pixels.
    pub y_min: f64,
    /// Right edge, pixels.
    pub x_max: f64,
    /// Bottom edge, pixels.
    pub y_max: f64,
}

impl LabelBox {
    /// Width in pixels.
    pub fn width(&self) -> f64 {
        self.x_max - self.x_min
    }

    /// Height in pixels.
    pub fn height(&self) -> f64 {
        self.y_max - self.y_min
    }

    /// Whether the boxes, each grown by `gap_px / 2` on every side, overlap (touching edges
    /// with `gap_px = 0` do not).
    pub fn overlaps(&self, other: &Self, gap_px: f64) -> bool {
        self.x_min < other.x_max + gap_px
            && other.x_min < self.x_max + gap_px
            && self.y_min < other.y_max + gap_px
            && other.y_min < self.y_max + gap_px
    }
}

/// A POI label to draw: the POI's pixel (the anchor, where the leader line ends), the text box
/// and what the text can say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// The POI's name.
    pub name: String,
    /// The POI's pixel `[x, y]`: the anchor of the leader line.
    pub pixel: [f64; 2],
    /// Where the text goes (placed by the declutter options).
    #[serde(rename = "box")]
    pub label_box: LabelBox,
    /// WGS84 latitude in degrees.
    pub lat: f64,
    /// WGS84 longitude in degrees.
    pub lon: f64,
    /// Elevation in metres above sea level (EGM96).
    pub elevation_msl: f64,
    /// Height in metres above the WGS84 ellipsoid (what was projected).
    pub height: f64,
    /// Topographic prominence in metres, if known.
    pub prominence: Option<f64>,
    /// Geodesic (map) distance from the camera in metres, heights ignored.
    pub distance_m: f64,
    /// Straight-line distance from the camera centre in metres.
    pub slant_distance_m: f64,
    /// Bearing from the camera in degrees clockwise from true north, [0, 360).
    pub bearing_deg: f64,
    /// Elevation angle of the line of sight above the camera's horizontal plane, degrees
    /// (earth curvature included).
    pub elevation_angle_deg: f64,
    /// `false` only if the occluder said [`Visibility::Hidden`] (such labels appear only when
    /// asked for).
    pub visible: bool,
    /// The occluder's answer.
    pub visibility: Visibility,
}

impl Label {
    /// The leader line from the anchor (the POI's pixel) to the middle of the box's nearer
    /// horizontal edge, pixels `[x, y]`.
    pub fn leader_line(&self) -> ([f64; 2], [f64; 2]) {
        let b = &self.label_box;
        let x = 0.5 * (b.x_min + b.x_max);
        let y = if self.pixel[1] >= b.y_max { b.y_max } else { b.y_min };
        (self.pixel, [x, y])
    }
}

/// How large a label's text box is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LabelSize {
    /// Every box has the same size, pixels.
    Fixed {
        /// Width in pixels.
        width_px: f64,
        /// Height in pixels.
        height_px: f64,
    },
    /// Width from the name's length: `chars * char_width_px + 2 * padding_px`; height
    /// `height_px`. A cheap stand-in for measuring the text in the drawing font.
    FromName {
        /// Average advance of one character, pixels.
        char_width_px: f64,
        /// Box height, pixels.
        height_px: f64,
        /// Space left and right of the text, pixels.
        padding_px: f64,
    },
}

/// Options of [`declutter`] and of the box placement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeclutterOptions {
    /// Size of the text boxes.
    pub size: LabelSize,
    /// Length of the vertical leader line, pixels: the box sits centred above the POI with its
    /// bottom edge this far above the POI's pixel.
    pub leader_px: f64,
    /// Smallest free space between two kept boxes, pixels.
    pub gap_px: f64,
    /// Keep at most this many labels (the highest-priority ones); `None`: no limit.
    pub max_labels: Option<usize>,
    /// Drop POIs whose prominence is below this many metres, and those whose prominence is
    /// unknown; `None`: keep all.
    pub min_prominence_m: Option<f64>,
}

impl Default for DeclutterOptions {
    /// Name-sized boxes for a ~14 px font: 8 px per character, 18 px high, 4 px padding; a
    /// 30 px leader; 2 px gap; no count or prominence limit.
    fn default() -> Self {
        Self {
            size: LabelSize::FromName { char_width_px: 8.0, height_px: 18.0, padding_px: 4.0 },
            leader_px: 30.0,
            gap_px: 2.0,
            max_labels: None,
            min_prominence_m: None,
        }
    }
}

/// The text box of a label named `name` anchored at `pixel`: centred horizontally on the
/// anchor, bottom edge `leader_px` above it. Negative sizes count as zero. The box may
/// reach beyond the image (a POI near the top edge); drawing code may clip or shift it.
pub fn label_box(pixel: [f64; 2], name: &str, options: &DeclutterOptions) -> LabelBox {
    let (width, height) = match options.size {
        LabelSize::Fixed { width_px, height_px } => (width_px, height_px),
        LabelSize::FromName { char_width_px, height_px, padding_px } => {
            let chars = name.chars().count() as f64;
            (chars * char_width_px + 2.0 * padding_px, height_px)
        }
    };
    let (width, height) = (width.max(0.0), height.max(0.0));
    let bottom = pixel[1] - options.leader_px.max(0.0);
    LabelBox {
        x_min: pixel[0] - 0.5 * width,
        y_min: bottom - height,
        x_max: pixel[0] + 0.5 * width,
        y_max: bottom,
    }
}

/// The priority order of labels: `Less` means drawn first (see the module docs).
pub fn priority_order(a: &Label, b: &Label) -> Ordering {
    let prominence = |l: &Label| l.prominence.filter(|p| !p.is_nan()).unwrap_or(f64::NEG_INFINITY);
    b.visible
        .cmp(&a.visible)
        .then_with(|| prominence(b).total_cmp(&prominence(a)))
        .then_with(|| a.distance_m.total_cmp(&b.distance_m))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.bearing_deg.total_cmp(&b.bearing_deg))
        .then_with(|| a.elevation_msl.total_cmp(&b.elevation_msl))
        .then_with(|| a.pixel[0].total_cmp(&b.pixel[0]))
        .then_with(|| a.pixel[1].total_cmp(&b.pixel[1]))
}

/// Keeps the labels to draw, in priority order: filters by prominence, then greedily keeps
/// each label whose box overlaps none kept so far, up to `max_labels`. Boxes are taken as
/// they are in the labels (see [`label_box`]).
pub fn declutter(mut labels: Vec<Label>, options: &DeclutterOptions) -> Vec<Label> {
    if let Some(min) = options.min_prominence_m {
        labels.retain(|l| l.prominence.is_some_and(|p| p >= min));
    }
    labels.sort_by(priority_order);
    let limit = options.max_labels.unwrap_or(usize::MAX);
    let mut kept: Vec<Label> = Vec::new();
    for label in labels {
        if kept.len() >= limit {
            break;
        }
        let free = kept.iter().all(|k| !k.label_box.overlaps(&label.label_box, options.gap_px));
        if free {
            kept.push(label);
        }
    }
    kept
}
