//! The training loss of LandscapeAR (Brejcha et al., ECCV 2020), built on HardNet's in-batch
//! triplet margin loss (Mishchuk et al., "Working hard to know your neighbor's margins",
//! NeurIPS 2017).
//!
//! For anchors `a_i` (photo patches of view A) and positives `p_i` (render patches of the same
//! 3D point in view B), `D_ij = |a_i - p_j|`. Negatives are the other positives of the batch,
//! except pairs whose 3D points lie closer than 50 m (or farther than 1e6 m, invalid points).
//! With `h_i` the hardest valid negative of row `i`, the "adaptive semi-hard" rule draws one
//! negative uniformly among those with `D_ij < T_i = (d_pos + m) - c ((d_pos + m) - h_i)`
//! (`c = 0.23`, `m = 0.2`), or takes the hardest when none is below `T_i`. The row loss is
//! `max(0, m + d_pos - d_neg)`. A second term picks, with the same rule, among render patches
//! drawn uniformly from the data set ("uniform negatives"); optional auxiliary terms apply the
//! same in-batch rule to photo A vs photo B (photo branch) and render A vs render B (render
//! branch). Total = mean(main) + mean(uniform) [+ mean(aux photo) + mean(aux render)].
//!
//! The negatives are chosen on the CPU from detached distances ([`plan_loss`]); the loss is
//! then a differentiable function of the descriptors with that choice fixed
//! ([`loss_from_plan`]), which is also what makes a finite-difference check possible.

use candle_core::{D, DType, Tensor};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::error::Result;
use crate::dataset::PointTag;

/// Added under the square root of distances (keeps the gradient finite at zero distance).
pub const DIST_EPS: f64 = 1e-6;

/// Parameters of the loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossConfig {
    /// Triplet margin `m` (0.2).
    pub margin: f32,
    /// Adaptive semi-hard coefficient `c` (0.23); 1 would always take the hardest.
    pub adaptive_coeff: f32,
    /// Negatives whose 3D point is closer than this to the anchor's are masked (50 m).
    pub min_negative_distance_m: f64,
    /// Negatives farther than this are masked as invalid (1e6 m).
    pub max_negative_distance_m: f64,
    /// Always take the hardest negative (HardNet) instead of the adaptive semi-hard one.
    pub hardest: bool,
    /// Add the uniform render-negative term.
    pub uniform_negatives: bool,
    /// Add the auxiliary photo-photo and render-render terms ("Ours-aux").
    pub aux: bool,
}

impl Default for LossConfig {
    fn default() -> Self {
        Self {
            margin: 0.2,
            adaptive_coeff: 0.23,
            min_negative_distance_m: 50.0,
            max_negative_distance_m: 1e6,
            hardest: false,
            uniform_negatives: true,
            aux: false,
        }
    }
}

/// Pairwise distances `|a_i - b_j|` of two descriptor sets (`n x d`, `m x d`) -> `n x m`.
///
/// # Errors
/// Candle shape errors.
pub fn distance_matrix(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let aa = a.sqr()?.sum_keepdim(1)?;
    let bb = b.sqr()?.sum_keepdim(1)?.t()?;
    let ab = a.matmul(&b.t()?)?;
    let sq = aa.broadcast_add(&bb)?.sub(&(ab * 2.0)?)?.relu()?;
    (sq + DIST_EPS)?.sqrt()
}

/// Row-wise distances `|a_i - b_i|` of two descriptor sets of equal shape -> `n`.
///
/// # Errors
/// Candle shape errors.
pub fn pair_distances(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    ((a - b)?.sqr()?.sum(D::Minus1)? + DIST_EPS)?.sqrt()
}

/// Which `(row, column)` pairs may serve as negatives: 3D points at least
/// `min_negative_distance_m` and at most `max_negative_distance_m` apart (other regions
/// always qualify), and never the diagonal when `exclude_diagonal`. Row-major.
pub fn negative_mask(
    rows: &[PointTag],
    cols: &[PointTag],
    exclude_diagonal: bool,
    cfg: &LossConfig,
) -> Vec<bool> {
    let mut out = Vec::with_capacity(rows.len() * cols.len());
    for (i, r) in rows.iter().enumerate() {
        for (j, c) in cols.iter().enumerate() {
            let d = r.distance(c);
            let ok = d >= cfg.min_negative_distance_m
                && (d <= cfg.max_negative_distance_m || r.region != c.region);
            out.push(ok && !(exclude_diagonal && i == j));
        }
    }
    out
}

/// Chooses one negative column per row of the row-major `dist` (`rows x cols`) by the
/// adaptive semi-hard rule (or the hardest with `cfg.hardest`); `None` for a row without
/// any valid negative.
pub fn mine_negatives<R: Rng>(
    dist: &[f32],
    cols: usize,
    d_pos: &[f32],
    valid: &[bool],
    cfg: &LossConfig,
    rng: &mut R,
) -> Vec<Option<usize>> {
    let (m, c) = (cfg.margin, cfg.adaptive_coeff);
    let mut cands = Vec::with_capacity(cols);
    d_pos
        .iter()
        .enumerate()
        .map(|(i, &dp)| {
            let row = dist.get(i * cols..(i + 1) * cols)?;
            let ok = valid.get(i * cols..(i + 1) * cols)?;
            let (hard, h) = row
                .iter()
                .zip(ok)
                .enumerate()
                .filter(|(_, (_, v))| **v)
                .map(|(j, (&d, _))| (j, d))
                .min_by(|x, y| x.1.total_cmp(&y.1))?;
            if cfg.hardest {
                return Some(hard);
            }
            let t = (dp + m) - c * ((dp + m) - h);
            cands.clear();
            cands.extend((0..cols).filter(|&j| ok[j] && row[j] < t));
            if cands.is_empty() {
                Some(hard)
            } else {
                Some(cands[rng.random_range(0..cands.len())])
            }
        })
        .collect()
}

/// Mean triplet loss `max(0, m + d_pos_i - dist_{i, choice_i})` over the rows that have a
/// negative; `None` when no row has one.
///
/// # Errors
/// Candle errors.
pub fn triplet_term(
    dist: &Tensor,
    d_pos: &Tensor,
    choice: &[Option<usize>],
    margin: f32,
) -> Result<Option<Tensor>> {
    let cols = dist.dim(1)?;
    let (mut rows, mut flat) = (Vec::new(), Vec::new());
    for (i, c) in choice.iter().enumerate() {
        if let Some(j) = c {
            rows.push(i as u32);
            flat.push((i * cols + j) as u32);
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let dev = dist.device();
    let n = rows.len();
    let d_neg = dist.flatten_all()?.index_select(&Tensor::from_vec(flat, n, dev)?, 0)?;
    let d_p = d_pos.index_select(&Tensor::from_vec(rows, n, dev)?, 0)?;
    let per = ((d_p - d_neg)? + f64::from(margin))?.relu()?;
    Ok(Some(per.mean_all()?))
}

/// Descriptors and point tags of one batch.
#[derive(Debug, Clone, Copy)]
pub struct LossInputs<'a> {
    /// Photo-branch descriptors of the photo patches of view A (`B x 128`).
    pub photo_a: &'a Tensor,
    /// Render-branch descriptors of the render patches of view B (`B x 128`).
    pub render_b: &'a Tensor,
    /// The batch's 3D points.
    pub tags: &'a [PointTag],
    /// Uniformly drawn render negatives (render-branch descriptors) and their points.
    pub uniform: Option<(&'a Tensor, &'a [PointTag])>,
    /// Auxiliary pairs: photo-branch descriptors of photo B, render-branch of render A.
    pub aux: Option<(&'a Tensor, &'a Tensor)>,
}

/// The negatives chosen for each term.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LossPlan {
    /// Main term: column of `render_b` per anchor.
    pub main: Vec<Option<usize>>,
    /// Uniform term: index into the uniform negatives per anchor.
    pub uniform: Option<Vec<Option<usize>>>,
    /// Auxiliary photo term: column of photo B per photo A.
    pub aux_photo: Option<Vec<Option<usize>>>,
    /// Auxiliary render term: column of render B per render A.
    pub aux_render: Option<Vec<Option<usize>>>,
}

/// The loss and its parts.
#[derive(Debug, Clone)]
pub struct LossParts {
    /// The scalar to minimise (with gradient).
    pub total: Tensor,
    /// Main term value.
    pub main: f32,
    /// Uniform-negative term value.
    pub uniform: Option<f32>,
    /// Auxiliary photo-photo term value.
    pub aux_photo: Option<f32>,
    /// Auxiliary render-render term value.
    pub aux_render: Option<f32>,
}

fn to_vec2(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.detach().to_dtype(DType::F32)?.flatten_all()?.to_vec1()?)
}

fn plan_term<R: Rng>(
    a: &Tensor,
    b: &Tensor,
    d_pos: &[f32],
    valid: &[bool],
    cfg: &LossConfig,
    rng: &mut R,
) -> Result<Vec<Option<usize>>> {
    let dist = to_vec2(&distance_matrix(&a.detach(), &b.detach())?)?;
    Ok(mine_negatives(&dist, b.dim(0)?, d_pos, valid, cfg, rng))
}

/// Chooses the negatives of every term (no gradient).
///
/// # Errors
/// Candle errors.
pub fn plan_loss<R: Rng>(inp: &LossInputs<'_>, cfg: &LossConfig, rng: &mut R) -> Result<LossPlan> {
    let (a, p, tags) = (inp.photo_a, inp.render_b, inp.tags);
    let d_pos = to_vec2(&pair_distances(&a.detach(), &p.detach())?)?;
    let in_batch = negative_mask(tags, tags, true, cfg);
    let main = plan_term(a, p, &d_pos, &in_batch, cfg, rng)?;
    let uniform = match inp.uniform {
        Some((u, utags)) if cfg.uniform_negatives => {
            let valid = negative_mask(tags, utags, false, cfg);
            Some(plan_term(a, u, &d_pos, &valid, cfg, rng)?)
        }
        _ => None,
    };
    let (mut aux_photo, mut aux_render) = (None, None);
    if let (Some((photo_b, render_a)), true) = (inp.aux, cfg.aux) {
        let dp = to_vec2(&pair_distances(&a.detach(), &photo_b.detach())?)?;
        aux_photo = Some(plan_term(a, photo_b, &dp, &in_batch, cfg, rng)?);
        let dr = to_vec2(&pair_distances(&render_a.detach(), &p.detach())?)?;
        aux_render = Some(plan_term(render_a, p, &dr, &in_batch, cfg, rng)?);
    }
    Ok(LossPlan { main, uniform, aux_photo, aux_render })
}

fn term(a: &Tensor, b: &Tensor, d_pos: &Tensor, c: &[Option<usize>], m: f32) -> Result<Tensor> {
    let dist = distance_matrix(a, b)?;
    match triplet_term(&dist, d_pos, c, m)? {
        Some(t) => Ok(t),
        None => Ok(Tensor::zeros((), dist.dtype(), dist.device())?),
    }
}

/// The loss with the negatives of `plan` (differentiable in the descriptors).
///
/// # Errors
/// Candle errors.
pub fn loss_from_plan(
    inp: &LossInputs<'_>,
    plan: &LossPlan,
    cfg: &LossConfig,
) -> Result<LossParts> {
    let (a, p, m) = (inp.photo_a, inp.render_b, cfg.margin);
    let d_pos = pair_distances(a, p)?;
    let main = term(a, p, &d_pos, &plan.main, m)?;
    let mut total = main.clone();
    let scalar = |t: &Tensor| -> Result<f32> { Ok(t.to_dtype(DType::F32)?.to_scalar::<f32>()?) };
    let mut parts = LossParts {
        total: main.clone(),
        main: scalar(&main)?,
        uniform: None,
        aux_photo: None,
        aux_render: None,
    };
    if let (Some((u, _)), Some(c)) = (inp.uniform, &plan.uniform) {
        let t = term(a, u, &d_pos, c, m)?;
        parts.uniform = Some(scalar(&t)?);
        total = (total + t)?;
    }
    if let (Some((photo_b, render_a)), Some(cp), Some(cr)) =
        (inp.aux, &plan.aux_photo, &plan.aux_render)
    {
        let tp = term(a, photo_b, &pair_distances(a, photo_b)?, cp, m)?;
        let tr = term(render_a, p, &pair_distances(render_a, p)?, cr, m)?;
        parts.aux_photo = Some(scalar(&tp)?);
        parts.aux_render = Some(scalar(&tr)?);
        total = ((total + tp)? + tr)?;
    }
    parts.total = total;
    Ok(parts)
}

/// Plans and evaluates the loss in one go.
///
/// # Errors
/// Candle errors.
pub fn landscapear_loss<R: Rng>(
    inp: &LossInputs<'_>,
    cfg: &LossConfig,
    rng: &mut R,
) -> Result<LossParts> {
    let plan = plan_loss(inp, cfg, rng)?;
    loss_from_plan(inp, &plan, cfg)
}
