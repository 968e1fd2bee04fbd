//! Fuzz target: open, verify and read every accessor of a pack, never panicking.
//!
//! The first input byte picks a mode: raw bytes as a pack (mode 0), or edits to a valid
//! seeded pack (`offset: u32, byte` pairs), applied as they are (mode 1) or followed by
//! recomputing every checksum (mode 2) so that the edits reach the structural checks behind
//! the CRCs.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lsar_geometry::Geodetic;
use lsar_pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackReader, PackWriter,
    ViewParams,
};

fn valid_pack() -> &'static [u8] {
    static PACK: OnceLock<Vec<u8>> = OnceLock::new();
    PACK.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("lsar-pack-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("seed.lsarpack");
        let meta = Metadata {
            name: "fuzz".into(),
            bounds: Bounds { south: 46.0, west: 7.0, north: 46.1, east: 7.1 },
            origin: Geodetic::new(46.05, 7.05, 2000.0),
            origin_ecef: [0.0; 3],
            model: ModelId::new("fuzz", [7; 32]),
            descriptor_dim: 8,
            descriptor_encoding: DescriptorEncoding::Int8,
            horizon_bins: 4,
            build: Default::default(),
            created_unix_s: 0,
            tool_version: "fuzz".into(),
        };
        let mut w = PackWriter::create(&path, meta).unwrap();
        let horizon = [HorizonSample { elevation_deg: 3.0, distance_m: 800.0 }; 4];
        for vp in 0..3 {
            w.add_viewpoint([vp as f64 * 500.0, 0.0, 2100.0], 2050.0, &horizon).unwrap();
            for v in 0..2 {
                let params = ViewParams {
                    yaw_deg: 180.0 * f64::from(v),
                    pitch_deg: 0.0,
                    roll_deg: 0.0,
                    hfov_deg: 60.0,
                    width: 64,
                    height: 48,
                };
                let kp = Keypoint {
                    point_enu: [1.0, 2.0, 3.0],
                    view: 0,
                    pixel: [4.0, 5.0],
                    scale: 2.0,
                    response: 0.5,
                };
                w.add_view(&params, &[kp, kp], &[0.25; 16]).unwrap();
            }
        }
        w.add_poi("Gipfel", 46.06, 7.06, 2500.0, 300.0).unwrap();
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        bytes
    })
}

fn reseal(b: &mut [u8]) {
    if b.len() < 64 {
        return;
    }
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let n = (u32_at(b, 16) as usize).min(256);
    for i in 0..n {
        let at = 64 + 32 * i;
        if at + 32 > b.len() {
            break;
        }
        let (off, len) = (u64_at(b, at + 8), u64_at(b, at + 16));
        if let Some(end) = off.checked_add(len).filter(|e| *e <= b.len() as u64) {
            let crc = crc32fast::hash(&b[off as usize..end as usize]);
            b[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        }
    }
    let table_end = (64 + 32 * n).min(b.len());
    let table_crc = crc32fast::hash(&b[64..table_end]);
    b[40..44].copy_from_slice(&table_crc.to_le_bytes());
    let len = b.len() as u64;
    b[32..40].copy_from_slice(&len.to_le_bytes());
    let crc = crc32fast::hash(&b[..60]);
    b[60..64].copy_from_slice(&crc.to_le_bytes());
}

fn exercise(r: &PackReader) {
    let _ = r.verify();
    for i in 0..r.viewpoints().len() + 2 {
        let _ = (r.viewpoint(i), r.viewpoint_views(i), r.horizon(i));
    }
    for v in 0..r.views().len() + 2 {
        let _ = r.view_keypoints(v);
    }
    for p in r.pois() {
        let _ = r.poi_name(p);
    }
    let d = r.descriptors();
    let mut row = vec![0.0; d.dim()];
    for i in 0..d.len() + 2 {
        let _ = d.row_into(i, &mut row);
    }
    let mut out = Vec::new();
    r.viewpoints_within([0.0, 0.0], 1e4, &mut out);
    r.viewpoints_near(&Geodetic::new(46.05, 7.05, 0.0), 1e3, &mut out);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 3 == 0 {
        rest.to_vec()
    } else {
        let mut b = valid_pack().to_vec();
        for edit in rest.chunks_exact(5) {
            let at = u32::from_le_bytes([edit[0], edit[1], edit[2], edit[3]]) as usize;
            if b.is_empty() {
                break;
            }
            let at = at % (b.len() + 1);
            match at.checked_sub(b.len()) {
                // An offset one past the end truncates at the edit's byte.
                Some(_) => b.truncate(usize::from(edit[4]) * 64 % (b.len() + 1)),
                None => b[at] = edit[4],
            }
        }
        if mode % 3 == 2 {
            reseal(&mut b);
        }
        b
    };
    if let Ok(r) = PackReader::from_bytes(&bytes, None) {
        exercise(&r);
    }
});
