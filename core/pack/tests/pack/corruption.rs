//! Damaged packs: each case is a typed error from open or from verify, never a panic.

use lsar_pack::{DescriptorEncoding, ModelId, PackError, PackReader, SectionKind};

use crate::support::{entries, entry_of, model, reseal, small_pack_bytes, temp_dir};

fn open(b: &[u8]) -> Result<PackReader, PackError> {
    PackReader::from_bytes(b, None)
}

fn open_or_verify(b: &[u8]) -> Result<(), PackError> {
    open(b)?.verify().map(|_| ())
}

fn set_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn valid_pack_opens_and_verifies() {
    for enc in [DescriptorEncoding::F16, DescriptorEncoding::Int8] {
        open_or_verify(&small_pack_bytes(enc)).unwrap();
    }
}

#[test]
fn every_single_bit_flip_is_detected() {
    for enc in [DescriptorEncoding::F16, DescriptorEncoding::Int8] {
        let good = small_pack_bytes(enc);
        let mut b = good.clone();
        for i in 0..good.len() {
            b[i] ^= 1 << (i % 8);
            assert!(open_or_verify(&b).is_err(), "flip at byte {i} of {} not detected", b.len());
            b[i] = good[i];
        }
    }
}

#[test]
fn truncation_anywhere_is_an_error() {
    let good = small_pack_bytes(DescriptorEncoding::F16);
    for len in (0..good.len()).step_by(7).chain(entries(&good).iter().map(|e| e.2 as usize)) {
        let r = open(&good[..len]);
        assert!(
            matches!(r, Err(PackError::Truncated { .. } | PackError::LengthMismatch { .. })),
            "len {len}: {r:?}"
        );
    }
}

#[test]
fn truncation_with_a_consistent_header_is_out_of_range() {
    // Cut at every section boundary and rewrite the header's length and checksums, so that
    // only the section bounds can tell.
    let good = small_pack_bytes(DescriptorEncoding::F16);
    let table_end = 64 + 32 * entries(&good).len();
    for (_, _, off, len, _) in entries(&good) {
        for cut in [off as usize, (off + len / 2) as usize] {
            if cut <= table_end || cut >= good.len() {
                continue;
            }
            let mut b = good[..cut / 64 * 64].to_vec();
            reseal(&mut b);
            let r = open(&b);
            assert!(
                matches!(r, Err(PackError::SectionOutOfRange { .. } | PackError::Truncated { .. })),
                "cut {cut}: {r:?}"
            );
        }
    }
}

#[test]
fn wrong_magic() {
    let mut b = small_pack_bytes(DescriptorEncoding::F16);
    b[0] = b'X';
    assert!(matches!(open(&b), Err(PackError::BadMagic)));
    assert!(matches!(open(b"not a pack at all"), Err(PackError::Truncated { .. })));
}

#[test]
fn newer_major_version_is_refused_newer_minor_is_read() {
    let good = small_pack_bytes(DescriptorEncoding::F16);
    let mut b = good.clone();
    b[8..10].copy_from_slice(&2u16.to_le_bytes());
    assert!(matches!(
        open(&b),
        Err(PackError::UnsupportedVersion { found_major: 2, supported_major: 1, .. })
    ));
    let mut b = good;
    b[10..12].copy_from_slice(&7u16.to_le_bytes());
    assert!(matches!(open(&b), Err(PackError::ChecksumMismatch { part: "header", .. })));
    reseal(&mut b);
    let r = open(&b).unwrap();
    assert_eq!((r.header().major, r.header().minor), (1, 7));
}

#[test]
fn misaligned_overlapping_out_of_range_sections() {
    let good = small_pack_bytes(DescriptorEncoding::F16);
    let (at, _, off, len, _) = entry_of(&good, SectionKind::Pois as u32);
    let (_, _, kp_off, _, _) = entry_of(&good, SectionKind::Keypoints as u32);

    let mut b = good.clone();
    set_u64(&mut b, at + 8, off + 8);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::MisalignedSection { section: "pois", .. })));

    let mut b = good.clone();
    set_u64(&mut b, at + 8, kp_off);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::OverlappingSections { .. })), "{:?}", open(&b));

    let mut b = good.clone();
    set_u64(&mut b, at + 8, good.len() as u64 + 64);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::SectionOutOfRange { .. })));

    let mut b = good.clone();
    set_u64(&mut b, at + 16, u64::MAX - 3);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::SectionOutOfRange { .. })));

    // A section may not sit in the header or the table.
    let mut b = good.clone();
    set_u64(&mut b, at + 8, 0);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::SectionOutOfRange { .. })));

    // Length and count must agree.
    let mut b = good;
    set_u64(&mut b, at + 16, len - 32);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::SectionSize { section: "pois", .. })));
}

#[test]
fn duplicate_missing_and_unknown_sections() {
    let good = small_pack_bytes(DescriptorEncoding::F16);
    let (at, ..) = entry_of(&good, SectionKind::Pois as u32);
    let mut b = good.clone();
    set_u32(&mut b, at, SectionKind::Views as u32);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::DuplicateSection { section: "views" })));
    // An unknown kind is skipped, so the POIs are now missing.
    let mut b = good.clone();
    set_u32(&mut b, at, 999);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::MissingSection { section: "pois" })));
    // Scales in an f16 pack are refused.
    let mut b = good;
    set_u32(&mut b, at, SectionKind::DescriptorScales as u32);
    reseal(&mut b);
    assert!(open(&b).is_err());
}

#[test]
fn counts_and_cross_references() {
    let good = small_pack_bytes(DescriptorEncoding::F16);
    // Descriptor rows must equal keypoints.
    let (at, _, _, len, count) = entry_of(&good, SectionKind::Descriptors as u32);
    let mut b = good.clone();
    set_u64(&mut b, at + 16, len - 256);
    set_u64(&mut b, at + 24, count - 1);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::CountMismatch { what: "descriptor rows", .. })));
    // A viewpoint whose views run past the view section.
    let (_, _, vp_off, _, _) = entry_of(&good, SectionKind::Viewpoints as u32);
    let mut b = good.clone();
    let view_count_at = vp_off as usize + 36;
    let n = u32::from_le_bytes(b[view_count_at..view_count_at + 4].try_into().unwrap());
    set_u32(&mut b, view_count_at, n + 1000);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::BadReference { what: "viewpoint", index: 0 })));
    // A view whose keypoints start in the wrong place.
    let (_, _, view_off, _, _) = entry_of(&good, SectionKind::Views as u32);
    let mut b = good.clone();
    let second_view_first_kp = view_off as usize + 48 + 40;
    set_u32(&mut b, second_view_first_kp, 1_000_000);
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::BadReference { what: "view", index: 1 })));
    // A keypoint naming another view: open succeeds (it reads no keypoints), verify fails.
    let (_, _, kp_off, _, _) = entry_of(&good, SectionKind::Keypoints as u32);
    let mut b = good.clone();
    set_u32(&mut b, kp_off as usize + 12, 9999);
    reseal(&mut b);
    let r = open(&b).unwrap();
    assert!(matches!(r.verify(), Err(PackError::BadReference { what: "keypoint", index: 0 })));
    // A POI name outside the string section.
    let (_, _, poi_off, _, _) = entry_of(&good, SectionKind::Pois as u32);
    let mut b = good;
    set_u32(&mut b, poi_off as usize + 24, 1 << 30);
    reseal(&mut b);
    let r = open(&b).unwrap();
    assert!(r.poi_name(&r.pois()[0]).is_err());
    assert!(matches!(r.verify(), Err(PackError::BadReference { .. })));
}

#[test]
fn region_and_metadata_damage() {
    let good = small_pack_bytes(DescriptorEncoding::F16);
    let (_, _, reg_off, _, _) = entry_of(&good, SectionKind::Region as u32);
    let mut b = good.clone();
    b[reg_off as usize + 6] ^= 0x40; // ECEF x no longer matches the geodetic origin.
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::InvalidValue { .. })));
    let mut b = good.clone();
    set_u32(&mut b, reg_off as usize + 116, 9); // Unknown descriptor encoding.
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::InvalidValue { what: "descriptor_encoding" })));
    let (_, _, meta_off, _, _) = entry_of(&good, SectionKind::Metadata as u32);
    let mut b = good;
    b[meta_off as usize] = b'[';
    reseal(&mut b);
    assert!(matches!(open(&b), Err(PackError::BadMetadata { .. })));
}

#[test]
fn another_model_is_refused() {
    let b = small_pack_bytes(DescriptorEncoding::Int8);
    PackReader::from_bytes(&b, Some(&model())).unwrap();
    let other_id = ModelId::new("sift-baseline", model().sha256);
    let r = PackReader::from_bytes(&b, Some(&other_id));
    assert!(matches!(r, Err(PackError::ModelMismatch { .. })));
    let other_hash = ModelId::new(model().id, [0; 32]);
    assert!(matches!(
        PackReader::from_bytes(&b, Some(&other_hash)),
        Err(PackError::ModelMismatch { .. })
    ));
}

#[test]
fn file_growing_while_mapped_is_reported_by_verify() {
    let dir = temp_dir("grow");
    let path = dir.join("g.lsarpack");
    std::fs::write(&path, small_pack_bytes(DescriptorEncoding::F16)).unwrap();
    let r = PackReader::open(&path, None).unwrap();
    r.verify().unwrap();
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&[0; 64]).unwrap();
    assert!(matches!(r.verify(), Err(PackError::LengthMismatch { .. })));
    // Re-opening sees the header's length disagree with the file.
    assert!(matches!(PackReader::open(&path, None), Err(PackError::LengthMismatch { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn messages_carry_no_paths() {
    let err = PackReader::open("/no/such/dir/secret-place.lsarpack", None).unwrap_err();
    assert!(matches!(err, PackError::Io { .. }));
    assert!(!err.to_string().contains("secret-place"));
}
