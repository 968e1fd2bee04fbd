//! Descriptor matching through a blocked matrix product.
//!
//! LandscapeAR (Brejcha et al., ECCV 2020) matches each descriptor of the smaller set to its
//! nearest neighbour in the larger set and keeps one match per target (the closest); no ratio
//! test. Mutual nearest neighbours and Lowe's ratio test (IJCV 2004, section 7.1) are options.
//! Similarities `A B^T` are computed by candle's matrix product, a block of source rows at a
//! time, so memory stays bounded by `block_elements` floats whatever the set sizes.
//! Distances are Euclidean (`sqrt(|a|^2 + |b|^2 - 2 a.b)`), so matches sort for PROSAC.

use candle_core::{Device, Tensor};
use rayon::prelude::*;

use crate::descriptor::Descriptors;
use crate::error::{Result, VisionError};

/// A correspondence between descriptor `query` of the first set and `train` of the second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Index in the first set passed to [`match_descriptors`].
    pub query: usize,
    /// Index in the second set.
    pub train: usize,
    /// Euclidean descriptor distance.
    pub distance: f32,
}

/// Matching options.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchOptions {
    /// Keep only mutual nearest neighbours.
    pub mutual: bool,
    /// Lowe's ratio test: keep when `d1 < ratio * d2` (`None`: off, as in LandscapeAR).
    pub ratio: Option<f32>,
    /// Upper bound on the similarity block held at once, in floats (>= the larger set size).
    pub block_elements: usize,
}

impl Default for MatchOptions {
    fn default() -> Self {
        Self { mutual: false, ratio: None, block_elements: 1 << 22 }
    }
}

/// Nearest-neighbour statistics of one direction.
struct Nearest {
    /// Per source row: best target, best and second-best squared distance.
    rows: Vec<(usize, f32, f32)>,
    /// Per target: best source and its squared distance.
    cols: Vec<(usize, f32)>,
}

fn squared_norms(d: &Descriptors) -> Vec<f32> {
    d.data().chunks_exact(d.dim()).map(|r| r.iter().map(|v| v * v).sum()).collect()
}

/// Scans `src x dst` squared distances block by block; per-target minima only when `cols`.
fn nearest(
    src: &Descriptors,
    dst: &Descriptors,
    block_elements: usize,
    cols: bool,
) -> Result<Nearest> {
    let (dim, m) = (src.dim(), dst.len());
    let dev = Device::Cpu;
    let dst_t = Tensor::from_slice(dst.data(), (m, dim), &dev)?.t()?;
    let (ns, nd) = (squared_norms(src), squared_norms(dst));
    let rows_per_block = (block_elements / m.max(1)).max(1);
    let mut rows = Vec::with_capacity(src.len());
    let mut col_best = vec![(usize::MAX, f32::INFINITY); if cols { m } else { 0 }];
    for start in (0..src.len()).step_by(rows_per_block) {
        let end = (start + rows_per_block).min(src.len());
        let product = block_product(src, &dst_t, start, end)?;
        let (storage, layout) = product.storage_and_layout();
        let sims = cpu_rows(&storage, layout.start_offset(), (end - start) * m)?;
        // Rows are independent: scan them in parallel.
        let block_rows: Vec<(usize, f32, f32)> = sims
            .par_chunks_exact(m)
            .zip(&ns[start..end])
            .map(|(sim_row, &n_src)| {
                let (mut b1, mut d1, mut d2) = (usize::MAX, f32::INFINITY, f32::INFINITY);
                for (j, (&s, &n)) in sim_row.iter().zip(&nd).enumerate() {
                    // |a - b|^2 less the constant |a|^2, added back below.
                    let d = n - 2.0 * s;
                    if d < d2 {
                        if d < d1 {
                            (d2, d1, b1) = (d1, d, j);
                        } else {
                            d2 = d;
                        }
                    }
                }
                (b1, (d1 + n_src).max(0.0), (d2 + n_src).max(0.0))
            })
            .collect();
        if cols {
            for (r, sim_row) in sims.chunks_exact(m).enumerate() {
                let i = start + r;
                for ((&s, &n), col) in sim_row.iter().zip(&nd).zip(col_best.iter_mut()) {
                    let d = (ns[i] + n - 2.0 * s).max(0.0);
                    if d < col.1 {
                        *col = (i, d);
                    }
                }
            }
        }
        rows.extend(block_rows);
    }
    Ok(Nearest { rows, cols: col_best })
}

/// `src[start..end] dst^T` (the transposed target set is passed in), contiguous.
fn block_product(src: &Descriptors, dst_t: &Tensor, start: usize, end: usize) -> Result<Tensor> {
    let dim = src.dim();
    let a =
        Tensor::from_slice(&src.data()[start * dim..end * dim], (end - start, dim), &Device::Cpu)?;
    Ok(a.matmul(dst_t)?.contiguous()?)
}

/// The `len` floats of a contiguous CPU tensor's storage from `offset`, read in place.
fn cpu_rows(storage: &candle_core::Storage, offset: usize, len: usize) -> Result<&[f32]> {
    let candle_core::Storage::Cpu(cpu) = storage else {
        return Err(VisionError::InvalidParameter {
            name: "device",
            reason: "matching runs on the CPU".into(),
        });
    };
    cpu.as_slice::<f32>()?
        .get(offset..offset + len)
        .ok_or(VisionError::Dimension { expected: len, got: 0 })
}

/// The `k` nearest neighbours in `train` of every descriptor of `query` (no one-per-target
/// rule), all sorted by distance. For solvers whose samples are small enough that the
/// second or third neighbour, which holds the true match about half as often again as the
/// first alone (`lsar eval --diagnose`), is worth its outliers.
///
/// # Errors
/// [`VisionError::Dimension`] when the sets have different descriptor lengths;
/// [`VisionError::InvalidParameter`] for `k = 0`; candle errors.
pub fn knn_matches(
    query: &Descriptors,
    train: &Descriptors,
    k: usize,
    block_elements: usize,
) -> Result<Vec<Match>> {
    if query.dim() != train.dim() {
        return Err(VisionError::Dimension { expected: query.dim(), got: train.dim() });
    }
    if k == 0 {
        return Err(VisionError::InvalidParameter {
            name: "k",
            reason: "must be at least 1".into(),
        });
    }
    if query.is_empty() || train.is_empty() {
        return Ok(Vec::new());
    }
    let (dim, m) = (query.dim(), train.len());
    let k = k.min(m);
    let train_t = Tensor::from_slice(train.data(), (m, dim), &Device::Cpu)?.t()?;
    let (nq, nt) = (squared_norms(query), squared_norms(train));
    let rows_per_block = (block_elements / m.max(1)).max(1);
    let mut out = Vec::with_capacity(query.len() * k);
    for start in (0..query.len()).step_by(rows_per_block) {
        let end = (start + rows_per_block).min(query.len());
        let product = block_product(query, &train_t, start, end)?;
        let (storage, layout) = product.storage_and_layout();
        let sims = cpu_rows(&storage, layout.start_offset(), (end - start) * m)?;
        let block: Vec<Vec<Match>> = sims
            .par_chunks_exact(m)
            .zip(&nq[start..end])
            .enumerate()
            .map(|(r, (sim_row, &n_q))| {
                // Ascending (distance, index) of the best k so far; k is small.
                let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
                for (j, (&s, &n)) in sim_row.iter().zip(&nt).enumerate() {
                    let d = n - 2.0 * s;
                    if best.len() == k && best.last().is_some_and(|&(w, _)| d >= w) {
                        continue;
                    }
                    let at = best.partition_point(|&(w, _)| w <= d);
                    best.insert(at, (d, j));
                    best.truncate(k);
                }
                best.into_iter()
                    .map(|(d, train)| Match {
                        query: start + r,
                        train,
                        distance: (d + n_q).max(0.0).sqrt(),
                    })
                    .collect()
            })
            .collect();
        out.extend(block.into_iter().flatten());
    }
    out.sort_by(|x, y| x.distance.total_cmp(&y.distance).then(x.query.cmp(&y.query)));
    Ok(out)
}

/// Matches `a` against `b` (LandscapeAR's rule plus the chosen options), sorted by distance.
///
/// Nearest neighbours go from the smaller set into the larger (`a` when equal); when several
/// sources pick the same target, only the closest is kept. Ties keep the lower index.
///
/// # Errors
/// [`VisionError::Dimension`] when the sets have different descriptor lengths;
/// [`VisionError::InvalidParameter`] for a ratio outside `(0, 1]`; candle errors.
pub fn match_descriptors(
    a: &Descriptors,
    b: &Descriptors,
    options: &MatchOptions,
) -> Result<Vec<Match>> {
    if a.dim() != b.dim() {
        return Err(VisionError::Dimension { expected: a.dim(), got: b.dim() });
    }
    if let Some(r) = options.ratio
        && !(r > 0.0 && r <= 1.0)
    {
        return Err(VisionError::InvalidParameter {
            name: "ratio",
            reason: "must be in (0, 1]".into(),
        });
    }
    if a.is_empty() || b.is_empty() {
        return Ok(Vec::new());
    }
    let swapped = b.len() < a.len();
    let (src, dst) = if swapped { (b, a) } else { (a, b) };
    let nn = nearest(src, dst, options.block_elements, options.mutual)?;
    // Best candidate per target: (source, squared distance).
    let mut per_target: Vec<Option<(usize, f32)>> = vec![None; dst.len()];
    for (i, &(j, d1, d2)) in nn.rows.iter().enumerate() {
        if options.mutual && nn.cols.get(j).is_none_or(|c| c.0 != i) {
            continue;
        }
        if let Some(r) = options.ratio
            && d1.sqrt() >= r * d2.sqrt()
        {
            continue;
        }
        if let Some(slot) = per_target.get_mut(j)
            && slot.is_none_or(|(_, best)| d1 < best)
        {
            *slot = Some((i, d1));
        }
    }
    let mut out: Vec<Match> = per_target
        .iter()
        .enumerate()
        .filter_map(|(j, s)| s.map(|(i, d)| (i, j, d.sqrt())))
        .map(|(i, j, distance)| {
            let (query, train) = if swapped { (j, i) } else { (i, j) };
            Match { query, train, distance }
        })
        .collect();
    out.sort_by(|x, y| x.distance.total_cmp(&y.distance).then(x.query.cmp(&y.query)));
    Ok(out)
}
