//! Validation metrics of a cross-domain descriptor on photo/render correspondences.
//!
//! - **FPR95** (Brown, Hua, Winder, "Discriminative learning of local image descriptors",
//!   PAMI 2011; used by HardNet, Mishchuk et al., NeurIPS 2017): the distance threshold that
//!   accepts 95 % of the true pairs `(photo_i, render_i)`, and the fraction of negative pairs
//!   it also accepts. Negatives are all pairs `(photo_i, render_j)`, `i != j`, whose 3D points
//!   are at least 50 m apart (the loss's mask), so the value does not depend on a random draw.
//! - **Top-1 photo -> render accuracy**: the fraction of photo patches whose nearest render
//!   descriptor (among all render patches of the set) shows the same place: the true partner,
//!   or a patch whose 3D point is within 10 m of it (the pairing radius of the data).
//!
//! Both depend on the set size; validation always uses the same fixed set.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::PointTag;

/// Validation results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// False-positive rate at 95 % recall, in `[0, 1]` (lower is better).
    pub fpr95: f64,
    /// Top-1 photo -> render accuracy, in `[0, 1]`.
    pub top1: f64,
    /// Number of photo/render pairs evaluated.
    pub pairs: usize,
}

/// Settings of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricConfig {
    /// Pairs whose 3D points are closer than this are not negatives (50 m).
    pub min_negative_distance_m: f64,
    /// A nearest neighbour within this distance of the true point counts as correct (10 m).
    pub correct_radius_m: f64,
}

impl Default for MetricConfig {
    fn default() -> Self {
        Self { min_negative_distance_m: 50.0, correct_radius_m: 10.0 }
    }
}

/// False-positive rate at 95 % true-positive rate: the fraction of `negatives` at or below
/// the smallest distance that accepts 95 % of `positives`. 1.0 when there are no positives,
/// 0.0 when there are no negatives.
pub fn fpr_at_95(positives: &[f32], negatives: &[f32]) -> f64 {
    if positives.is_empty() {
        return 1.0;
    }
    if negatives.is_empty() {
        return 0.0;
    }
    let mut pos = positives.to_vec();
    pos.sort_by(f32::total_cmp);
    let k = ((0.95 * pos.len() as f64).ceil() as usize).clamp(1, pos.len());
    let t = pos[k - 1];
    negatives.iter().filter(|&&d| d <= t).count() as f64 / negatives.len() as f64
}

fn dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

/// FPR95 and top-1 accuracy of `photo` against `render` descriptors (row-major `n x dim`,
/// row `i` of both showing point `tags[i]`).
pub fn evaluate(
    photo: &[f32],
    render: &[f32],
    dim: usize,
    tags: &[PointTag],
    cfg: &MetricConfig,
) -> Metrics {
    let n = tags.len().min(photo.len() / dim.max(1)).min(render.len() / dim.max(1));
    if n == 0 || dim == 0 {
        return Metrics { fpr95: 1.0, top1: 0.0, pairs: 0 };
    }
    let row = |m: &'_ [f32], i: usize| -> Vec<f32> { m[i * dim..(i + 1) * dim].to_vec() };
    let per_row: Vec<(f32, Vec<f32>, bool)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let q = row(photo, i);
            let mut negs = Vec::new();
            let (mut best, mut best_d) = (i, f32::INFINITY);
            let mut pos = 0.0;
            for j in 0..n {
                let d = dist(&q, &render[j * dim..(j + 1) * dim]);
                if d < best_d {
                    (best, best_d) = (j, d);
                }
                if i == j {
                    pos = d;
                } else if tags[i].distance(&tags[j]) >= cfg.min_negative_distance_m {
                    negs.push(d);
                }
            }
            let correct = best == i || tags[i].distance(&tags[best]) <= cfg.correct_radius_m;
            (pos, negs, correct)
        })
        .collect();
    let positives: Vec<f32> = per_row.iter().map(|r| r.0).collect();
    let negatives: Vec<f32> = per_row.iter().flat_map(|r| r.1.iter().copied()).collect();
    let correct = per_row.iter().filter(|r| r.2).count();
    Metrics { fpr95: fpr_at_95(&positives, &negatives), top1: correct as f64 / n as f64, pairs: n }
}
