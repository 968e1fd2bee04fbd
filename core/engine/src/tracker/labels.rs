//! Per-frame POI labels that stay put: pixel smoothing with a 1-euro filter and a declutter
//! with hysteresis, on top of the overlay's projection ([`candidate_labels`]) and priority
//! order ([`priority_order`]).
//!
//! - Smoothing: each label's anchor pixel goes through a 1-euro filter (Casiez, Roussel,
//!   Vogel, "1 Euro Filter: A Simple Speed-based Low-pass Filter for Noisy Input in
//!   Interactive Systems", CHI 2012): a first-order low-pass whose cutoff rises with the
//!   speed, `fc = min_cutoff + beta |dx/dt|`, so a still label does not jitter and a label
//!   of a panning phone does not lag much.
//! - Hysteresis: a shown label stays shown until its box overlaps a higher-priority shown box
//!   by more than `margin_px` for `hide_after_frames` frames in a row; a hidden label appears
//!   only once its box is clear of every shown box by `margin_px` (beyond the declutter gap)
//!   for `show_after_frames` frames; a hidden label that collides only with lower-priority
//!   shown labels takes their place after `hide_after_frames` frames. Jitter smaller than
//!   the margin therefore never toggles a label.

use std::collections::HashMap;

use lsar_geometry::{Camera, CameraPose};

use crate::error::{CoreError, Result};
use crate::overlay::{
    Label, LabelSize, Occluder, OverlayOptions, ResolvedPoi, candidate_labels, label_box,
    priority_order,
};

/// Options of [`LabelStabilizer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelOptions {
    /// Projection, boxes and declutter of the overlay.
    pub overlay: OverlayOptions,
    /// Overlap beyond the declutter gap, pixels, that hysteresis tolerates. Default 6.
    pub margin_px: f64,
    /// Frames a shown label must be in conflict before it hides. Default 5.
    pub hide_after_frames: u32,
    /// Frames a hidden label must be clear before it shows. Default 3.
    pub show_after_frames: u32,
    /// 1-euro filter cutoff at rest, Hz. Default 1.5.
    pub min_cutoff_hz: f64,
    /// 1-euro filter speed coefficient, Hz per (pixel/s). Default 0.05.
    pub beta: f64,
    /// Cutoff of the speed estimate, Hz. Default 1.
    pub derivative_cutoff_hz: f64,
}

impl Default for LabelOptions {
    fn default() -> Self {
        Self {
            overlay: OverlayOptions::default(),
            margin_px: 6.0,
            hide_after_frames: 5,
            show_after_frames: 3,
            min_cutoff_hz: 1.5,
            beta: 0.05,
            derivative_cutoff_hz: 1.0,
        }
    }
}

impl LabelOptions {
    /// Checks that every length, count limit and rate is finite and not negative, the
    /// cutoffs positive, and the distance limit not negative or NaN.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        let d = &self.overlay.declutter;
        let (w, h, pad) = match d.size {
            LabelSize::Fixed { width_px, height_px } => (width_px, height_px, 0.0),
            LabelSize::FromName { char_width_px, height_px, padding_px } => {
                (char_width_px, height_px, padding_px)
            }
        };
        let lengths = [w, h, pad, d.leader_px, d.gap_px, self.margin_px, self.beta];
        let cutoffs = [self.min_cutoff_hz, self.derivative_cutoff_hz];
        let ok = lengths.iter().all(|v| v.is_finite() && *v >= 0.0)
            && cutoffs.iter().all(|v| v.is_finite() && *v > 0.0)
            && d.min_prominence_m.is_none_or(|p| !p.is_nan())
            && self.overlay.max_distance_m.is_none_or(|m| !m.is_nan() && m >= 0.0);
        if !ok {
            return Err(CoreError::InvalidInput { what: "label options" });
        }
        Ok(())
    }
}

/// One coordinate's 1-euro filter state.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OneEuro {
    x: f64,
    dx: f64,
}

/// Smoothing factor of a first-order low-pass with cutoff `fc` Hz at step `dt` s.
fn alpha(fc: f64, dt: f64) -> f64 {
    let tau = 1.0 / (std::f64::consts::TAU * fc.max(1e-6));
    1.0 / (1.0 + tau / dt)
}

impl OneEuro {
    fn step(&mut self, x: f64, dt: f64, o: &LabelOptions) -> f64 {
        if dt.is_nan() || dt <= 0.0 {
            return self.x;
        }
        let raw_dx = (x - self.x) / dt;
        self.dx += alpha(o.derivative_cutoff_hz, dt) * (raw_dx - self.dx);
        let fc = o.min_cutoff_hz + o.beta * self.dx.abs();
        self.x += alpha(fc, dt) * (x - self.x);
        self.x
    }
}

/// Identity of a POI across frames: name and position in units of 1e-4 degree (about 10 m;
/// POIs of one name closer than that are one label).
type Key = (String, i64, i64);

/// The key of a label.
fn key_of(label: &Label) -> Key {
    let q = |deg: f64| (deg * 1e4).round() as i64;
    (label.name.clone(), q(label.lat), q(label.lon))
}

/// Per-POI state across frames.
#[derive(Debug, Clone, PartialEq)]
struct Track {
    filter: [OneEuro; 2],
    shown: bool,
    conflict_frames: u32,
    clear_frames: u32,
    seen: u64,
}

/// Label state across frames (see the module docs). One per overlay view.
#[derive(Debug, Clone, Default)]
pub struct LabelStabilizer {
    tracks: HashMap<Key, Track>,
    frame: u64,
    last_t: Option<f64>,
}

impl LabelStabilizer {
    /// An empty state (every label starts hidden and smoothing starts afresh).
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every label (after a large jump, or another view).
    pub fn clear(&mut self) {
        self.tracks.clear();
        self.last_t = None;
    }

    /// The labels to draw for the frame at `t_s` seconds with intrinsics `camera` and pose
    /// `pose` (world = ECEF), smoothed and decluttered with hysteresis, in priority order.
    /// Each label's `pixel` and `label_box` are the smoothed ones.
    ///
    /// # Errors
    /// As [`LabelOptions::validate`] and [`candidate_labels`].
    pub fn update(
        &mut self,
        t_s: f64,
        camera: &Camera,
        pose: &CameraPose,
        pois: &[ResolvedPoi],
        occluder: &dyn Occluder,
        options: &LabelOptions,
    ) -> Result<Vec<Label>> {
        options.validate()?;
        let mut labels = candidate_labels(camera, pose, pois, occluder, &options.overlay)?;
        let decl = &options.overlay.declutter;
        if let Some(min) = decl.min_prominence_m {
            labels.retain(|l| l.prominence.is_some_and(|p| p >= min));
        }
        let dt = self.last_t.map_or(0.0, |t| t_s - t);
        self.last_t = Some(t_s);
        self.frame += 1;
        let mut keys = Vec::with_capacity(labels.len());
        for label in &mut labels {
            let key = key_of(label);
            let track = self.tracks.entry(key.clone()).or_insert_with(|| Track {
                filter: [label.pixel[0], label.pixel[1]].map(|x| OneEuro { x, dx: 0.0 }),
                shown: false,
                conflict_frames: 0,
                clear_frames: 0,
                seen: 0,
            });
            track.seen = self.frame;
            let [fx, fy] = &mut track.filter;
            label.pixel =
                [fx.step(label.pixel[0], dt, options), fy.step(label.pixel[1], dt, options)];
            label.label_box = label_box(label.pixel, &label.name, decl);
            keys.push(key);
        }
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by(|&a, &b| priority_order(&labels[a], &labels[b]));
        // `rank[i]`: priority position of label i (lower is drawn first).
        let mut rank = vec![0; labels.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let mut shown = vec![false; labels.len()];
        let tolerant_gap = decl.gap_px - options.margin_px;
        let strict_gap = decl.gap_px + options.margin_px;
        // Pass 1: labels shown last frame keep their place unless a higher one covers them.
        for &i in &order {
            let Some(track) = self.tracks.get_mut(&keys[i]) else { continue };
            if !track.shown {
                continue;
            }
            let conflict = order.iter().take_while(|&&j| j != i).any(|&j| {
                shown[j] && labels[j].label_box.overlaps(&labels[i].label_box, tolerant_gap)
            });
            track.conflict_frames = if conflict { track.conflict_frames + 1 } else { 0 };
            track.shown = track.conflict_frames < options.hide_after_frames.max(1);
            shown[i] = track.shown;
        }
        // Pass 2: hidden labels appear when clear for a while, or displace lower ones.
        for &i in &order {
            if shown[i] {
                continue;
            }
            let blockers: Vec<usize> = (0..labels.len())
                .filter(|&j| {
                    shown[j] && labels[j].label_box.overlaps(&labels[i].label_box, strict_gap)
                })
                .collect();
            let only_lower = blockers.iter().all(|&j| rank[j] > rank[i]);
            let Some(track) = self.tracks.get_mut(&keys[i]) else { continue };
            if blockers.is_empty() {
                track.clear_frames += 1;
                track.conflict_frames = 0;
                track.shown = track.clear_frames >= options.show_after_frames.max(1);
            } else if only_lower {
                track.clear_frames = 0;
                track.conflict_frames += 1;
                track.shown = track.conflict_frames >= options.hide_after_frames.max(1);
            } else {
                track.clear_frames = 0;
                track.conflict_frames = 0;
            }
            if !track.shown {
                continue;
            }
            track.conflict_frames = 0;
            track.clear_frames = 0;
            shown[i] = true;
            for &j in &blockers {
                shown[j] = false;
                if let Some(t) = self.tracks.get_mut(&keys[j]) {
                    t.shown = false;
                    t.clear_frames = 0;
                    t.conflict_frames = 0;
                }
            }
        }
        let frame = self.frame;
        self.tracks.retain(|_, t| t.seen == frame);
        let limit = decl.max_labels.unwrap_or(usize::MAX);
        let mut slots: Vec<Option<Label>> = labels.into_iter().map(Some).collect();
        let out = order
            .iter()
            .filter(|&&i| shown[i])
            .take(limit)
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
            .collect();
        Ok(out)
    }
}
