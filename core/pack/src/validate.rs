//! The checks run on open, after the header and the section table: sizes and counts of every
//! section, the metadata and region record, and the cross-references between viewpoints, views
//! and keypoints. Reads only the small sections (metadata, region, viewpoints, views); never
//! touches keypoints, descriptors, strings, POIs or horizons.

use std::ops::Range;

use bytemuck::Pod;

use crate::error::{PackError, Result};
use crate::header::crc32;
use crate::metadata::{DescriptorEncoding, MAX_METADATA_LEN, Metadata};
use crate::records::{RegionRecord, View, Viewpoint, size};
use crate::sections::{SectionEntry, SectionKind, SectionTable, check_size, entry_range, required};

/// The typed records of a byte range (empty if the range is missing or does not cast; neither
/// happens after the checks of this module).
pub(crate) fn cast<T: Pod>(bytes: &[u8], range: Option<Range<usize>>) -> &[T] {
    range
        .and_then(|r| bytes.get(r))
        .and_then(|b| bytemuck::try_cast_slice(b).ok())
        .unwrap_or_default()
}

/// Checks the CRC of one section.
pub(crate) fn check_crc(bytes: &[u8], e: &SectionEntry, part: &'static str) -> Result<()> {
    let data = entry_range(e).and_then(|r| bytes.get(r)).ok_or(PackError::SectionOutOfRange {
        section: part,
        offset: e.offset,
        length: e.length,
        file_len: bytes.len() as u64,
    })?;
    let computed = crc32(data);
    if computed != e.crc32 {
        return Err(PackError::ChecksumMismatch { part, stored: e.crc32, computed });
    }
    Ok(())
}

fn checked_u32_count(e: &SectionEntry, kind: SectionKind) -> Result<()> {
    if e.count > u64::from(u32::MAX) {
        return Err(PackError::SectionSize {
            section: kind.name(),
            length: e.length,
            count: e.count,
            record_size: 0,
        });
    }
    Ok(())
}

fn expect_count(what: &'static str, expected: u64, found: u64) -> Result<()> {
    if expected != found {
        return Err(PackError::CountMismatch { what, expected, found });
    }
    Ok(())
}

/// Runs every check that opening a pack needs and returns its metadata.
pub(crate) fn check_open(bytes: &[u8], table: &SectionTable) -> Result<Metadata> {
    let region_e = required(table, SectionKind::Region, size::REGION)?;
    expect_count("region records", 1, region_e.count)?;
    check_crc(bytes, &region_e, SectionKind::Region.name())?;
    let region: RegionRecord = cast::<RegionRecord>(bytes, entry_range(&region_e))
        .first()
        .copied()
        .ok_or(PackError::MissingSection { section: SectionKind::Region.name() })?;

    let meta_e = required(table, SectionKind::Metadata, 0)?;
    if meta_e.length > MAX_METADATA_LEN {
        return Err(PackError::SectionSize {
            section: SectionKind::Metadata.name(),
            length: meta_e.length,
            count: meta_e.count,
            record_size: 0,
        });
    }
    check_crc(bytes, &meta_e, SectionKind::Metadata.name())?;
    let json = entry_range(&meta_e).and_then(|r| bytes.get(r)).unwrap_or_default();
    let metadata = Metadata::decode(json, &region)?;

    required(table, SectionKind::Strings, 0)?;
    let vp_e = required(table, SectionKind::Viewpoints, size::VIEWPOINT)?;
    let view_e = required(table, SectionKind::Views, size::VIEW)?;
    let kp_e = required(table, SectionKind::Keypoints, size::KEYPOINT)?;
    let poi_e = required(table, SectionKind::Pois, size::POI)?;
    let hz_e = required(table, SectionKind::Horizons, size::HORIZON)?;
    for (e, kind) in [
        (&vp_e, SectionKind::Viewpoints),
        (&view_e, SectionKind::Views),
        (&kp_e, SectionKind::Keypoints),
        (&poi_e, SectionKind::Pois),
    ] {
        checked_u32_count(e, kind)?;
    }

    let encoding = metadata.descriptor_encoding;
    let row_bytes = u64::from(metadata.descriptor_dim) * encoding.value_bytes();
    let desc_e = required(table, SectionKind::Descriptors, row_bytes)?;
    expect_count("descriptor rows", kp_e.count, desc_e.count)?;
    let scales = table.get(SectionKind::DescriptorScales);
    match (encoding, scales) {
        (DescriptorEncoding::Int8, Some(e)) => {
            check_size(e, SectionKind::DescriptorScales, 4)?;
            expect_count("descriptor scales", kp_e.count, e.count)?;
        }
        (DescriptorEncoding::F16, None) => {}
        _ => return Err(PackError::MissingSection { section: "descriptor_scales" }),
    }
    let bins = u64::from(metadata.horizon_bins);
    expect_count("horizon samples", vp_e.count.saturating_mul(bins), hz_e.count)?;

    check_crc(bytes, &vp_e, SectionKind::Viewpoints.name())?;
    check_crc(bytes, &view_e, SectionKind::Views.name())?;
    let viewpoints: &[Viewpoint] = cast(bytes, entry_range(&vp_e));
    let views: &[View] = cast(bytes, entry_range(&view_e));
    check_structure(viewpoints, views, kp_e.count)?;
    Ok(metadata)
}

/// Checks that the viewpoints partition the views in order, that the views partition the
/// keypoints in order, and that the stored values are finite. O(viewpoints + views).
pub(crate) fn check_structure(
    viewpoints: &[Viewpoint],
    views: &[View],
    keypoint_count: u64,
) -> Result<()> {
    let mut next_view = 0u64;
    let mut next_kp = 0u64;
    for (i, vp) in viewpoints.iter().enumerate() {
        let bad = || PackError::BadReference { what: "viewpoint", index: i as u64 };
        let finite = vp.position_enu.iter().all(|v| v.is_finite()) && vp.ground_height.is_finite();
        if !finite {
            return Err(PackError::InvalidValue { what: "viewpoint position" });
        }
        if u64::from(vp.first_view) != next_view || u64::from(vp.first_keypoint) != next_kp {
            return Err(bad());
        }
        let first = usize::try_from(vp.first_view).map_err(|_| bad())?;
        let count = usize::try_from(vp.view_count).map_err(|_| bad())?;
        let end = first.checked_add(count).ok_or_else(bad)?;
        let own = views.get(first..end).ok_or_else(bad)?;
        let mut kp_in_views = 0u64;
        for (j, view) in own.iter().enumerate() {
            let v_index = (first + j) as u64;
            if u64::from(view.first_keypoint) != next_kp.saturating_add(kp_in_views) {
                return Err(PackError::BadReference { what: "view", index: v_index });
            }
            let angles = [view.yaw_deg, view.pitch_deg, view.roll_deg, view.hfov_deg];
            if !angles.iter().all(|a| a.is_finite()) {
                return Err(PackError::InvalidValue { what: "view angles" });
            }
            kp_in_views = kp_in_views.saturating_add(u64::from(view.keypoint_count));
        }
        if kp_in_views != u64::from(vp.keypoint_count) {
            return Err(bad());
        }
        next_view = next_view.saturating_add(u64::from(vp.view_count));
        next_kp = next_kp.saturating_add(kp_in_views);
    }
    expect_count("views covered by viewpoints", views.len() as u64, next_view)?;
    expect_count("keypoints covered by views", keypoint_count, next_kp)?;
    Ok(())
}
