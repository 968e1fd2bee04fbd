//! Descriptor storage: f16 rows, or int8 rows with one f32 scale per row, read in place.
//!
//! int8 quantisation: `scale = max |x| / 127`, `code = round(x / scale)` clamped to
//! `[-127, 127]`, `value = code * scale`; the error per value is at most `scale / 2`.

use half::f16;

use crate::error::{PackError, Result};

/// Zero-copy view of the descriptor rows of a pack.
#[derive(Debug, Clone, Copy)]
pub enum Descriptors<'a> {
    /// Half-float rows, `dim` values each, row-major.
    F16 {
        /// Values per row.
        dim: usize,
        /// All rows.
        values: &'a [f16],
    },
    /// Signed-byte rows with one scale per row.
    Int8 {
        /// Values per row.
        dim: usize,
        /// All rows' codes, row-major.
        codes: &'a [i8],
        /// One scale per row.
        scales: &'a [f32],
    },
}

impl<'a> Descriptors<'a> {
    /// Values per row.
    pub fn dim(&self) -> usize {
        match self {
            Self::F16 { dim, .. } | Self::Int8 { dim, .. } => *dim,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::F16 { dim, values } => values.len().checked_div(*dim).unwrap_or(0),
            Self::Int8 { scales, .. } => scales.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` as f16 values (`None` for int8 packs or an index out of range).
    pub fn row_f16(&self, i: usize) -> Option<&'a [f16]> {
        match self {
            Self::F16 { dim, values } => values.get(row_range(i, *dim)?),
            Self::Int8 { .. } => None,
        }
    }

    /// Row `i` as int8 codes and its scale (`None` for f16 packs or an index out of range).
    pub fn row_i8(&self, i: usize) -> Option<(&'a [i8], f32)> {
        match self {
            Self::Int8 { dim, codes, scales } => {
                let row = codes.get(row_range(i, *dim)?)?;
                Some((row, *scales.get(i)?))
            }
            Self::F16 { .. } => None,
        }
    }

    /// Decodes row `i` into `out` (length `dim`).
    ///
    /// # Errors
    /// [`PackError::OutOfRange`] for a bad row, [`PackError::DescriptorDim`] for a bad `out`.
    pub fn row_into(&self, i: usize, out: &mut [f32]) -> Result<()> {
        let dim = self.dim();
        if out.len() != dim {
            return Err(PackError::DescriptorDim { expected: dim, found: out.len() });
        }
        let oob = || PackError::OutOfRange {
            what: "descriptor row",
            index: i as u64,
            count: self.len() as u64,
        };
        match self {
            Self::F16 { .. } => {
                let row = self.row_f16(i).ok_or_else(oob)?;
                out.iter_mut().zip(row).for_each(|(o, v)| *o = v.to_f32());
            }
            Self::Int8 { .. } => {
                let (row, scale) = self.row_i8(i).ok_or_else(oob)?;
                out.iter_mut().zip(row).for_each(|(o, c)| *o = f32::from(*c) * scale);
            }
        }
        Ok(())
    }
}

fn row_range(i: usize, dim: usize) -> Option<std::ops::Range<usize>> {
    let start = i.checked_mul(dim)?;
    Some(start..start.checked_add(dim)?)
}

/// Encodes one row as f16, appending little-endian bytes to `out`.
pub(crate) fn encode_f16(row: &[f32], out: &mut Vec<u8>) {
    for v in row {
        out.extend_from_slice(&f16::from_f32(*v).to_le_bytes());
    }
}

/// Quantises one row to int8, appending the codes to `out`; returns the row's scale.
pub(crate) fn encode_i8(row: &[f32], out: &mut Vec<u8>) -> f32 {
    let max_abs = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if max_abs > 0.0 { max_abs / 127.0 } else { 0.0 };
    for v in row {
        let code = if scale > 0.0 { (v / scale).round().clamp(-127.0, 127.0) } else { 0.0 };
        // In [-127, 127] after the clamp, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        out.push((code as i8).to_le_bytes()[0]);
    }
    scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_round_trip_is_within_half_a_step() {
        let row: Vec<f32> = (0..128).map(|i| ((i as f32) * 0.37).sin() * 0.2).collect();
        let mut bytes = Vec::new();
        let scale = encode_i8(&row, &mut bytes);
        let codes: &[i8] = bytemuck::cast_slice(&bytes);
        let scales = [scale];
        let d = Descriptors::Int8 { dim: 128, codes, scales: &scales };
        let mut out = vec![0.0; 128];
        d.row_into(0, &mut out).unwrap();
        for (a, b) in row.iter().zip(&out) {
            assert!((a - b).abs() <= scale * 0.5 + 1e-7);
        }
        assert!(d.row_into(1, &mut out).is_err());
    }

    #[test]
    fn zero_row_has_zero_scale() {
        let mut bytes = Vec::new();
        assert_eq!(encode_i8(&[0.0; 4], &mut bytes), 0.0);
        assert_eq!(bytes, vec![0; 4]);
    }
}
