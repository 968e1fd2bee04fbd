//! Register-blocked GEMM micro-kernels with run-time SIMD dispatch.
//!
//! The scheme is the one of Goto & van de Geijn, "Anatomy of high-performance matrix
//! multiplication" (ACM TOMS 34(3), 2008): `C = A B` is computed in `MR x NR` tiles held in
//! registers, with `B` (the weights) packed into panels of `NR` columns stored row by row
//! (`b[k * NR + j]`). `A` is not packed: it is the im2col matrix of the convolution, read in
//! place from the NHWC input (an "implicit GEMM", as in cuDNN, Chetlur et al. 2014): each of
//! the `MR` rows of a tile is a receptive field of `ksize` contiguous runs. Each step
//! broadcasts `MR` values of `A`, loads `NR` values of `B` and issues `MR x NR` multiply-adds. The bias initialises the accumulators and the ReLU is
//! applied before the tile is stored (fused epilogue).
//!
//! Micro-kernels: AVX-512F (12 x 32 tile, 24 zmm accumulators) and AVX2 + FMA (6 x 16, 12
//! ymm) with explicit `std::arch` intrinsics in `#[target_feature]` functions; NEON (6 x 16,
//! fused multiply-add) and the portable level (4 x 8, separate multiply and add, baseline
//! instructions only, runs everywhere) as array code that LLVM vectorises for the target. No
//! `target-cpu=native` is needed: every intrinsic kernel is called only after
//! `is_x86_feature_detected!` confirms its features at run time, before every call.
//!
//! This is the only module of the fast path with `unsafe` code: those calls and the vector
//! loads and stores.
#![allow(unsafe_code)]

/// The SIMD instruction set the fast CPU path runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimdLevel {
    /// Portable Rust with only the target's baseline instructions (no FMA); always available.
    Portable,
    /// x86-64 AVX2 with FMA (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512F (512-bit vectors).
    Avx512,
    /// AArch64 NEON with fused multiply-add (128-bit vectors).
    Neon,
}

impl SimdLevel {
    /// Every level, best first.
    pub const ALL: [SimdLevel; 4] =
        [SimdLevel::Avx512, SimdLevel::Avx2, SimdLevel::Neon, SimdLevel::Portable];

    /// True when this CPU can run the level (checked at run time).
    pub fn is_available(self) -> bool {
        match self {
            SimdLevel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "aarch64")]
            SimdLevel::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The levels this CPU can run, best first (always ends with [`SimdLevel::Portable`]).
    pub fn available() -> Vec<SimdLevel> {
        Self::ALL.into_iter().filter(|l| l.is_available()).collect()
    }

    /// The best level this CPU can run.
    pub fn detect() -> SimdLevel {
        Self::ALL.into_iter().find(|l| l.is_available()).unwrap_or(SimdLevel::Portable)
    }

    /// Register tile `(MR, NR)` for a layer with `cols` output channels: rows of `A` and
    /// columns of `B` per micro-kernel call (AVX-512 uses 12 x 16 for narrow layers).
    pub(crate) fn tile(self, cols: usize) -> (usize, usize) {
        match self {
            SimdLevel::Portable => (4, 8),
            SimdLevel::Avx2 | SimdLevel::Neon => (6, 16),
            SimdLevel::Avx512 if cols <= 16 => (12, 16),
            SimdLevel::Avx512 => (12, 32),
        }
    }
}

/// One convolution as an implicit GEMM: row `i` of `A` is the receptive field of output pixel
/// `i`, read in place from the NHWC input as `ksize` runs of `run` contiguous values.
#[derive(Debug)]
pub(crate) struct Conv<'a> {
    /// The NHWC input.
    pub x: &'a [f32],
    /// Offset in `x` of each output pixel's first input value, padded to a multiple of `MR`
    /// with valid offsets (their results are dropped).
    pub bases: &'a [usize],
    /// Valid output pixels (rows of `A`).
    pub rows: usize,
    /// Kernel rows.
    pub ksize: usize,
    /// Distance in `x` between two image rows (`side * cin`).
    pub row_step: usize,
    /// Contiguous values per kernel row (`ksize * cin`); the depth is `K = ksize * run`.
    pub run: usize,
    /// Packed weights: panels of `NR` columns, `K * NR` values each, zero-padded past `cols`.
    pub b: &'a [f32],
    /// Bias, zero-padded to a multiple of `NR`.
    pub bias: &'a [f32],
    /// Valid columns (output channels).
    pub cols: usize,
    /// Apply `max(0, x)` before storing.
    pub relu: bool,
}

#[cfg(target_arch = "x86_64")]
impl Conv<'_> {
    /// True when every receptive field of `bases` lies inside `x` (guards the unchecked reads
    /// of the intrinsic kernels).
    fn in_bounds(&self, bases: &[usize]) -> bool {
        let span = (self.ksize.saturating_sub(1)).checked_mul(self.row_step);
        let end = span.and_then(|s| s.checked_add(self.run));
        end.is_some_and(|e| {
            bases.iter().all(|&o| o.checked_add(e).is_some_and(|v| v <= self.x.len()))
        })
    }
}

/// Computes `C[rows x cols] = act(A B + bias)` into `c` (row-major, row stride `ldc`).
///
/// When `level` is not available on this CPU (callers select only available levels) the same
/// tile shape runs as portable code, so the packing still matches and the result is right.
pub(crate) fn run(level: SimdLevel, t: &Conv<'_>, c: &mut [f32], ldc: usize) {
    match level {
        SimdLevel::Avx512 if t.cols <= 16 => drive::<12, 16>(t, c, ldc, micro_avx512::<16>),
        SimdLevel::Avx512 => drive::<12, 32>(t, c, ldc, micro_avx512::<32>),
        SimdLevel::Avx2 => drive::<6, 16>(t, c, ldc, micro_avx2),
        SimdLevel::Neon => drive::<6, 16>(t, c, ldc, micro_neon),
        SimdLevel::Portable => drive::<4, 8>(t, c, ldc, micro::<4, 8, false>),
    }
}

/// A micro-kernel: `bias + A[bases] B` for one `MR x NR` tile (`b` holds `K` rows).
type Micro<const MR: usize, const NR: usize> =
    fn(&Conv<'_>, &[usize; MR], &[[f32; NR]], &[f32; NR]) -> [[f32; NR]; MR];

/// Loops over `B` panels (outer, kept in cache) and groups of `MR` rows (inner); stores each
/// tile with the ReLU applied, clipped to the valid rows and columns.
fn drive<const MR: usize, const NR: usize>(
    t: &Conv<'_>,
    c: &mut [f32],
    ldc: usize,
    micro: Micro<MR, NR>,
) {
    let b_len = t.ksize * t.run * NR;
    if b_len == 0 {
        return;
    }
    let (groups, _) = t.bases.as_chunks::<MR>();
    let (biases, _) = t.bias.as_chunks::<NR>();
    for (p, (bp, bias)) in t.b.chunks_exact(b_len).zip(biases).enumerate() {
        let col0 = p * NR;
        let cols = NR.min(t.cols.saturating_sub(col0));
        let (bk, _) = bp.as_chunks::<NR>();
        for (i, bases) in groups.iter().enumerate() {
            let row0 = i * MR;
            let rows = MR.min(t.rows.saturating_sub(row0));
            if rows == 0 || cols == 0 {
                break;
            }
            let acc = micro(t, bases, bk, bias);
            for (r, row) in acc.iter().enumerate().take(rows) {
                let start = (row0 + r) * ldc + col0;
                let dst = &mut c[start..start + cols];
                if t.relu {
                    dst.iter_mut().zip(row).for_each(|(d, v)| *d = v.max(0.0));
                } else {
                    dst.copy_from_slice(&row[..cols]);
                }
            }
        }
    }
}

/// `a * b + c`, fused (one rounding) when `FMA`.
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { c + a * b }
}

/// Portable micro-kernel over arrays with checked indexing (the fallback).
#[inline(always)]
fn micro<const MR: usize, const NR: usize, const FMA: bool>(
    t: &Conv<'_>,
    bases: &[usize; MR],
    b: &[[f32; NR]],
    bias: &[f32; NR],
) -> [[f32; NR]; MR] {
    let mut acc = [*bias; MR];
    for (ky, bk) in b.chunks(t.run.max(1)).enumerate().take(t.ksize) {
        let off = ky * t.row_step;
        for (q, bv) in bk.iter().enumerate() {
            for (row, &o) in acc.iter_mut().zip(bases) {
                let x = t.x[o + off + q];
                for (v, &y) in row.iter_mut().zip(bv) {
                    *v = madd::<FMA>(x, y, *v);
                }
            }
        }
    }
    acc
}

/// AVX-512F micro-kernel, 12 x `NR` (`NR` = 16 or 32: 12 or 24 zmm accumulators); portable
/// code without AVX-512F.
fn micro_avx512<const NR: usize>(
    t: &Conv<'_>,
    bases: &[usize; 12],
    b: &[[f32; NR]],
    bias: &[f32; NR],
) -> [[f32; NR]; 12] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && t.in_bounds(bases)
        && b.len() >= t.ksize * t.run
    {
        // SAFETY: AVX-512F was detected at run time just above; every receptive field lies in
        // `t.x` and `b` has `ksize * run` rows (both checked just above).
        return unsafe { x86::avx512(t, bases, b, bias) };
    }
    micro::<12, NR, false>(t, bases, b, bias)
}

/// AVX2 + FMA micro-kernel, 6 x 16 (12 ymm accumulators); portable code without them.
fn micro_avx2(
    t: &Conv<'_>,
    bases: &[usize; 6],
    b: &[[f32; 16]],
    bias: &[f32; 16],
) -> [[f32; 16]; 6] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && t.in_bounds(bases)
        && b.len() >= t.ksize * t.run
    {
        // SAFETY: AVX2 and FMA were detected at run time just above; every receptive field
        // lies in `t.x` and `b` has `ksize * run` rows (both checked just above).
        return unsafe { x86::avx2(t, bases, b, bias) };
    }
    micro::<6, 16, false>(t, bases, b, bias)
}

/// NEON micro-kernel, 6 x 16 with fused multiply-add: the array code, which LLVM vectorises
/// with NEON (AArch64's baseline) into 24 `fmla v.4s` accumulating in registers (checked in
/// the assembly for `aarch64-unknown-linux-gnu`); portable code elsewhere.
fn micro_neon(
    t: &Conv<'_>,
    bases: &[usize; 6],
    b: &[[f32; 16]],
    bias: &[f32; 16],
) -> [[f32; 16]; 6] {
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("neon") {
        return micro::<6, 16, true>(t, bases, b, bias);
    }
    micro::<6, 16, false>(t, bases, b, bias)
}

/// Explicit x86-64 intrinsics: accumulators in vector registers, rows of `B` loaded as
/// vectors, values of `A` broadcast from the input in place.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256, __m512, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_storeu_ps,
        _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
    };

    use super::Conv;

    /// # Safety
    /// The CPU has AVX-512F; `t.in_bounds(bases)`; `b.len() >= t.ksize * t.run`; `NR` is 16
    /// or 32.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512<const NR: usize>(
        t: &Conv<'_>,
        bases: &[usize; 12],
        b: &[[f32; NR]],
        bias: &[f32; NR],
    ) -> [[f32; NR]; 12] {
        let nv = (NR / 16).min(2);
        let mut acc: [[__m512; 2]; 12] = [[_mm512_setzero_ps(); 2]; 12];
        for v in 0..nv {
            // SAFETY: `16 v + 16 <= NR`: 16 in-bounds f32 of the bias array.
            let bv = unsafe { _mm512_loadu_ps(bias[16 * v..].as_ptr()) };
            acc.iter_mut().for_each(|row| row[v] = bv);
        }
        for (ky, bk) in b.chunks_exact(t.run).enumerate().take(t.ksize) {
            let off = ky * t.row_step;
            // SAFETY: `o + off + run <= x.len()` for every base (the caller's contract), so
            // each pointer and the `run` values after it are inside `t.x`.
            let rows: [*const f32; 12] =
                std::array::from_fn(|r| unsafe { t.x.as_ptr().add(bases[r] + off) });
            for (q, bv) in bk.iter().enumerate() {
                let mut xv = [_mm512_setzero_ps(); 2];
                for (v, x) in xv.iter_mut().enumerate().take(nv) {
                    // SAFETY: `16 v + 16 <= NR`: 16 in-bounds f32 of the row of `B`.
                    *x = unsafe { _mm512_loadu_ps(bv[16 * v..].as_ptr()) };
                }
                for (acc, p) in acc.iter_mut().zip(&rows) {
                    // SAFETY: `q < run`, so `p + q` is inside `t.x` (see above).
                    let s = _mm512_set1_ps(unsafe { *p.add(q) });
                    for v in 0..nv {
                        acc[v] = _mm512_fmadd_ps(s, xv[v], acc[v]);
                    }
                }
            }
        }
        let mut out = [[0.0f32; NR]; 12];
        for (o, row) in out.iter_mut().zip(&acc) {
            for (v, &r) in row.iter().enumerate().take(nv) {
                // SAFETY: `16 v + 16 <= NR`: 16 in-bounds f32 of the output row.
                unsafe { _mm512_storeu_ps(o[16 * v..].as_mut_ptr(), r) };
            }
        }
        out
    }

    /// # Safety
    /// The CPU has AVX2 and FMA; `t.in_bounds(bases)`; `b.len() >= t.ksize * t.run`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(
        t: &Conv<'_>,
        bases: &[usize; 6],
        b: &[[f32; 16]],
        bias: &[f32; 16],
    ) -> [[f32; 16]; 6] {
        // SAFETY: each pointer addresses 8 in-bounds f32 of a 16-element array.
        let (b0, b1) =
            unsafe { (_mm256_loadu_ps(bias.as_ptr()), _mm256_loadu_ps(bias[8..].as_ptr())) };
        let mut acc: [[__m256; 2]; 6] = [[b0, b1]; 6];
        for (ky, bk) in b.chunks_exact(t.run).enumerate().take(t.ksize) {
            let off = ky * t.row_step;
            // SAFETY: as in `avx512`: every receptive field lies inside `t.x`.
            let rows: [*const f32; 6] =
                std::array::from_fn(|r| unsafe { t.x.as_ptr().add(bases[r] + off) });
            for (q, bv) in bk.iter().enumerate() {
                // SAFETY: each pointer addresses 8 in-bounds f32 of a 16-element array.
                let (x0, x1) =
                    unsafe { (_mm256_loadu_ps(bv.as_ptr()), _mm256_loadu_ps(bv[8..].as_ptr())) };
                for (acc, p) in acc.iter_mut().zip(&rows) {
                    // SAFETY: `q < run`, so `p + q` is inside `t.x`.
                    let s = _mm256_set1_ps(unsafe { *p.add(q) });
                    acc[0] = _mm256_fmadd_ps(s, x0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(s, x1, acc[1]);
                }
            }
        }
        let mut out = [[0.0f32; 16]; 6];
        for (o, row) in out.iter_mut().zip(&acc) {
            // SAFETY: each pointer addresses 8 in-bounds f32 of a 16-element array.
            unsafe {
                _mm256_storeu_ps(o.as_mut_ptr(), row[0]);
                _mm256_storeu_ps(o[8..].as_mut_ptr(), row[1]);
            }
        }
        out
    }
}
