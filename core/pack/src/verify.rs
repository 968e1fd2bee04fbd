//! [`PackReader::verify`]: the full check that reads every byte once.

use crate::error::{PackError, Result};
use crate::header::{self, HEADER_LEN};
use crate::reader::PackReader;
use crate::records::{HorizonSample, Keypoint, Poi};
use crate::sections::{self, entry_range, kind_name};
use crate::validate::check_crc;

/// What [`PackReader::verify`] checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyReport {
    /// Sections whose CRC-32 matched.
    pub sections: usize,
    /// Bytes read.
    pub bytes: u64,
}

impl PackReader {
    /// Checks the whole pack: that the file still has its length, the header and table
    /// CRCs, every section's CRC (unknown kinds too), that every padding byte is zero, that
    /// every keypoint names its own view and holds finite values, that every POI name is UTF-8
    /// inside the string section, that horizons and descriptors are numbers. Reads the whole
    /// file once; O(file length).
    ///
    /// # Errors
    /// The first problem found, as a typed [`PackError`].
    pub fn verify(&self) -> Result<VerifyReport> {
        self.storage().check_unchanged()?;
        let bytes = self.bytes();
        let header = header::decode(bytes)?;
        let table = sections::decode_table(bytes, &header)?;
        for e in &table.entries {
            check_crc(bytes, e, kind_name(e.kind))?;
        }
        check_padding(bytes, &table.entries, header.table_end())?;
        self.check_keypoints()?;
        self.check_pois()?;
        self.check_horizons()?;
        self.check_descriptors()?;
        Ok(VerifyReport { sections: table.entries.len(), bytes: bytes.len() as u64 })
    }

    fn check_keypoints(&self) -> Result<()> {
        let keypoints: &[Keypoint] = self.keypoints();
        for (v, view) in self.views().iter().enumerate() {
            let first = view.first_keypoint as usize;
            let own = keypoints
                .get(first..first.saturating_add(view.keypoint_count as usize))
                .ok_or(PackError::BadReference { what: "view", index: v as u64 })?;
            for (k, kp) in own.iter().enumerate() {
                let index = (first + k) as u64;
                if kp.view as usize != v {
                    return Err(PackError::BadReference { what: "keypoint", index });
                }
                let [x, y, z] = kp.point_enu;
                let [px, py] = kp.pixel;
                if ![x, y, z, px, py, kp.scale, kp.response].iter().all(|v| v.is_finite()) {
                    return Err(PackError::InvalidValue { what: "keypoint" });
                }
            }
        }
        Ok(())
    }

    fn check_pois(&self) -> Result<()> {
        let pois: &[Poi] = self.pois();
        for poi in pois {
            self.poi_name(poi)?;
            let ok = poi.lat.is_finite()
                && (-90.0..=90.0).contains(&poi.lat)
                && poi.lon.is_finite()
                && poi.elevation_msl.is_finite();
            if !ok {
                return Err(PackError::InvalidValue { what: "poi position" });
            }
        }
        Ok(())
    }

    fn check_horizons(&self) -> Result<()> {
        let samples: &[HorizonSample] = self.horizon_samples();
        let ok = samples.iter().all(|s| s.elevation_deg.is_finite() && !s.distance_m.is_nan());
        if !ok {
            return Err(PackError::InvalidValue { what: "horizon sample" });
        }
        Ok(())
    }

    fn check_descriptors(&self) -> Result<()> {
        let ok = match self.descriptors() {
            crate::Descriptors::F16 { values, .. } => values.iter().all(|v| v.is_finite()),
            crate::Descriptors::Int8 { scales, .. } => {
                scales.iter().all(|s| s.is_finite() && *s >= 0.0)
            }
        };
        if !ok {
            return Err(PackError::InvalidValue { what: "descriptor" });
        }
        Ok(())
    }
}

/// Checks that every byte outside the header, the table and the sections is zero.
fn check_padding(bytes: &[u8], entries: &[sections::SectionEntry], table_end: u64) -> Result<()> {
    let mut covered: Vec<(u64, u64)> = vec![(0, table_end.max(HEADER_LEN))];
    covered
        .extend(entries.iter().filter_map(|e| entry_range(e).map(|r| (e.offset, r.len() as u64))));
    covered.sort_unstable();
    let mut pos = 0u64;
    for (start, len) in covered.into_iter().chain([(bytes.len() as u64, 0)]) {
        if start > pos {
            let gap = bytes.get(pos as usize..start as usize).unwrap_or_default();
            if let Some(i) = gap.iter().position(|b| *b != 0) {
                return Err(PackError::NonZeroPadding { offset: pos + i as u64 });
            }
        }
        pos = pos.max(start.saturating_add(len));
    }
    Ok(())
}
