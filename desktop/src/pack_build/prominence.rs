//! Summits of a DEM grid with their topographic prominence, exactly on the grid's samples
//! (8-connected), by a descending sweep with union-find: samples are visited from the highest
//! down; a sample that touches no visited sample starts a new island whose peak it is; one
//! that joins islands is their key col, where every island but the one with the highest peak
//! ends: its peak's prominence is `peak - col`. The island left at the end is the grid's
//! highest peak, whose prominence is measured to the grid's lowest sample.
//!
//! Prominence is relative to the grid's extent: the grid edge acts as a sea all around, so a
//! peak near the edge whose real key col lies outside the grid gets too large a prominence.
//! Holes act as sea as well.

use crate::dem::DemGrid;

/// A summit of a grid: sample position, height as stored, prominence in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridPeak {
    /// Column of the sample.
    pub col: usize,
    /// Row of the sample.
    pub row: usize,
    /// Height as stored in the grid.
    pub height: f32,
    /// Topographic prominence, metres.
    pub prominence: f32,
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let p = parent[i as usize];
        parent[i as usize] = parent[p as usize];
        i = p;
    }
    i
}

/// Every peak of the grid whose prominence is at least `min_prominence`, most prominent first
/// (ties by height, then position). `None` for grids over 2^32 samples.
pub fn grid_peaks(grid: &DemGrid, min_prominence: f32) -> Option<Vec<GridPeak>> {
    let (w, h) = (grid.width(), grid.height());
    let n = w.checked_mul(h)?;
    u32::try_from(n).ok()?;
    let heights = grid.heights();
    let valid = |i: usize| grid.at(i % w, i / w).is_some();
    let mut order: Vec<u32> = (0..n as u32).filter(|&i| valid(i as usize)).collect();
    // Highest first; equal heights by index, so the sweep is deterministic.
    order.sort_unstable_by(|&a, &b| {
        heights[b as usize].total_cmp(&heights[a as usize]).then(a.cmp(&b))
    });
    const UNSEEN: u32 = u32::MAX;
    let mut parent = vec![UNSEEN; n];
    // Peak sample of each island, indexed by its root.
    let mut peak = vec![UNSEEN; n];
    let mut out = Vec::new();
    let mut roots: Vec<u32> = Vec::with_capacity(8);
    for &i in &order {
        let (c, r) = ((i as usize) % w, (i as usize) / w);
        roots.clear();
        for dr in -1i64..=1 {
            for dc in -1i64..=1 {
                let (cc, rr) = (c as i64 + dc, r as i64 + dr);
                if (dc, dr) == (0, 0) || cc < 0 || rr < 0 || cc >= w as i64 || rr >= h as i64 {
                    continue;
                }
                let j = rr as usize * w + cc as usize;
                if parent[j] != UNSEEN {
                    let root = find(&mut parent, j as u32);
                    if !roots.contains(&root) {
                        roots.push(root);
                    }
                }
            }
        }
        let Some(&first) = roots.first() else {
            parent[i as usize] = i;
            peak[i as usize] = i;
            continue;
        };
        // The island with the highest peak survives (sorted position breaks ties).
        let mut keep = first;
        for &root in &roots[1..] {
            let (a, b) = (peak[root as usize], peak[keep as usize]);
            if heights[a as usize] > heights[b as usize]
                || (heights[a as usize] == heights[b as usize] && a < b)
            {
                keep = root;
            }
        }
        let col = heights[i as usize];
        for &root in &roots {
            if root != keep {
                let p = peak[root as usize];
                let prom = heights[p as usize] - col;
                if prom >= min_prominence {
                    out.push(GridPeak {
                        col: p as usize % w,
                        row: p as usize / w,
                        height: heights[p as usize],
                        prominence: prom,
                    });
                }
                parent[root as usize] = keep;
            }
        }
        parent[i as usize] = keep;
    }
    // Surviving islands: prominence down to the lowest sample of the grid.
    let lowest = order.last().map_or(0.0, |&i| heights[i as usize]);
    let mut tops: Vec<u32> = Vec::new();
    for &i in &order {
        if parent[i as usize] == i {
            tops.push(peak[i as usize]);
        }
    }
    for p in tops {
        let prom = heights[p as usize] - lowest;
        if prom >= min_prominence {
            out.push(GridPeak {
                col: p as usize % w,
                row: p as usize / w,
                height: heights[p as usize],
                prominence: prom,
            });
        }
    }
    out.sort_by(|a, b| {
        b.prominence
            .total_cmp(&a.prominence)
            .then(b.height.total_cmp(&a.height))
            .then((a.row, a.col).cmp(&(b.row, b.col)))
    });
    Some(out)
}
