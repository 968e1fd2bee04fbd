//! A minimal reader for NumPy `.npz` archives of little-endian `f32` arrays.
//!
//! An `.npz` is a ZIP archive of `.npy` files (NumPy NEP 1). Only *stored* (uncompressed)
//! entries are read, as `numpy.savez` writes them; `numpy.savez_compressed` archives are
//! refused with [`VisionError::WeightFormat`]. The `.npy` header must describe `<f4` data in C
//! order.

use crate::error::{Result, VisionError};

/// One array: its shape and its values in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape, outermost first.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

fn bad(reason: impl Into<String>) -> VisionError {
    VisionError::WeightFormat { reason: reason.into() }
}

fn u16_at(b: &[u8], at: usize) -> Result<usize> {
    let s = b.get(at..at + 2).ok_or_else(|| bad("truncated archive"))?;
    Ok(usize::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Result<usize> {
    let s = b.get(at..at + 4).ok_or_else(|| bad("truncated archive"))?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

/// Reads every array of an `.npz` archive; names lose their `.npy` suffix.
///
/// # Errors
/// [`VisionError::WeightFormat`] for a truncated or compressed archive, or an array that is
/// not `<f4` in C order.
pub fn read_npz(bytes: &[u8]) -> Result<Vec<(String, NpyArray)>> {
    const LOCAL: usize = 0x0403_4b50;
    let mut at = 0;
    let mut out = Vec::new();
    while at + 4 <= bytes.len() && u32_at(bytes, at)? == LOCAL {
        let flags = u16_at(bytes, at + 6)?;
        let method = u16_at(bytes, at + 8)?;
        let compressed = u32_at(bytes, at + 18)?;
        let uncompressed = u32_at(bytes, at + 22)?;
        let name_len = u16_at(bytes, at + 26)?;
        let extra_len = u16_at(bytes, at + 28)?;
        if method != 0 {
            return Err(bad("compressed npz entries are not supported"));
        }
        if flags & 0x8 != 0 {
            return Err(bad("streamed npz entries are not supported"));
        }
        let name_start = at + 30;
        let name =
            bytes.get(name_start..name_start + name_len).ok_or_else(|| bad("truncated name"))?;
        let name = String::from_utf8_lossy(name);
        let extra_start = name_start + name_len;
        let extra = bytes
            .get(extra_start..extra_start + extra_len)
            .ok_or_else(|| bad("truncated extra"))?;
        let size = if compressed == 0xFFFF_FFFF {
            zip64_size(extra, uncompressed == 0xFFFF_FFFF)?
        } else {
            compressed
        };
        let data_start = extra_start + extra_len;
        let data =
            bytes.get(data_start..data_start + size).ok_or_else(|| bad("truncated entry"))?;
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        out.push((key, read_npy(data)?));
        at = data_start + size;
    }
    if out.is_empty() {
        return Err(bad("no arrays in archive"));
    }
    Ok(out)
}

/// The compressed size from a ZIP64 extended-information extra field (APPNOTE 4.5.3): it
/// follows the uncompressed size when that is also given there.
fn zip64_size(extra: &[u8], has_uncompressed: bool) -> Result<usize> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, at)?, u16_at(extra, at + 2)?);
        if id == 1 {
            let off = at + 4 + if has_uncompressed { 8 } else { 0 };
            let s = extra.get(off..off + 8).ok_or_else(|| bad("truncated zip64 field"))?;
            let mut b = [0u8; 8];
            b.copy_from_slice(s);
            return usize::try_from(u64::from_le_bytes(b)).map_err(|_| bad("entry too large"));
        }
        at += 4 + len;
    }
    Err(bad("zip64 entry without its size field"))
}

/// Reads one `.npy` file holding little-endian `f32` values in C order.
///
/// # Errors
/// [`VisionError::WeightFormat`] for anything else.
pub fn read_npy(b: &[u8]) -> Result<NpyArray> {
    if b.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err(bad("not an npy array"));
    }
    let major = *b.get(6).ok_or_else(|| bad("truncated npy"))?;
    let (header_len, start) = match major {
        1 => (u16_at(b, 8)?, 10),
        2 | 3 => (u32_at(b, 8)?, 12),
        _ => return Err(bad("unknown npy version")),
    };
    let header = b.get(start..start + header_len).ok_or_else(|| bad("truncated npy header"))?;
    let header = String::from_utf8_lossy(header);
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.contains("'descr':'<f4'") {
        return Err(bad("only little-endian f32 arrays are supported"));
    }
    if !compact.contains("'fortran_order':False") {
        return Err(bad("only C-order arrays are supported"));
    }
    let shape_start = compact.find("'shape':(").ok_or_else(|| bad("npy header without shape"))? + 9;
    let shape_len = compact[shape_start..].find(')').ok_or_else(|| bad("bad npy shape"))?;
    let shape = compact[shape_start..shape_start + shape_len]
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad("bad npy shape")))
        .collect::<Result<Vec<_>>>()?;
    let n: usize = shape.iter().product();
    let raw = b.get(start + header_len..).ok_or_else(|| bad("truncated npy data"))?;
    if raw.len() != 4 * n {
        return Err(bad("npy data length does not match its shape"));
    }
    let data = raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok(NpyArray { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(shape: &str, values: &[f32]) -> Vec<u8> {
        let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        values.iter().for_each(|v| out.extend(v.to_le_bytes()));
        out
    }

    #[test]
    fn reads_stored_archive_and_rejects_garbage() {
        let mut zip = Vec::new();
        for (name, data) in
            [("a.npy", npy("(2, 2)", &[1.0, 2.0, 3.0, 4.0])), ("b.npy", npy("(1,)", &[5.0]))]
        {
            zip.extend(0x0403_4b50u32.to_le_bytes());
            zip.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            zip.extend((data.len() as u32).to_le_bytes());
            zip.extend((data.len() as u32).to_le_bytes());
            zip.extend((name.len() as u16).to_le_bytes());
            zip.extend([0, 0]);
            zip.extend(name.as_bytes());
            zip.extend(&data);
        }
        let arrays = read_npz(&zip).unwrap();
        assert_eq!(arrays[0].0, "a");
        assert_eq!(arrays[0].1.shape, vec![2, 2]);
        assert_eq!(arrays[1].1.data, vec![5.0]);
        assert!(read_npz(b"PK nonsense").is_err());
        assert!(read_npz(&zip[..zip.len() - 1]).is_err());
    }
}
