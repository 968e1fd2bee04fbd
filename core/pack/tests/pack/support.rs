//! Seeded synthetic packs and helpers to damage and reseal pack bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lsar_geometry::Geodetic;
use lsar_pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackWriter, ViewParams,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One view as given to the writer.
pub struct ViewInput {
    pub params: ViewParams,
    pub keypoints: Vec<Keypoint>,
    pub descriptors: Vec<f32>,
}

/// One viewpoint as given to the writer.
pub struct ViewpointInput {
    pub position_enu: [f64; 3],
    pub ground_height: f64,
    pub horizon: Vec<HorizonSample>,
    pub views: Vec<ViewInput>,
}

/// One POI as given to the writer.
pub struct PoiInput {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub elevation_msl: f32,
    pub prominence: f32,
}

/// Everything a synthetic pack holds.
pub struct Synthetic {
    pub meta: Metadata,
    pub viewpoints: Vec<ViewpointInput>,
    pub pois: Vec<PoiInput>,
}

pub fn model() -> ModelId {
    ModelId::new("landscapear-test", [0xab; 32])
}

pub fn metadata(encoding: DescriptorEncoding, bins: u32) -> Metadata {
    let origin = Geodetic::new(46.123_456_789_012_3, 7.654_321_098_765_4, 2_345.678_901_234);
    let e = origin.to_ecef();
    let mut build = BTreeMap::new();
    build.insert("spacing_m".to_string(), serde_json::json!(1000.0));
    build.insert("views".to_string(), serde_json::json!(12));
    build.insert("dem".to_string(), serde_json::json!(["N46E007.hgt"]));
    Metadata {
        name: "Synthetic Alps ÄÖ".to_string(),
        bounds: Bounds { south: 46.0, west: 7.5, north: 46.25, east: 7.75 },
        origin,
        origin_ecef: [e.x, e.y, e.z],
        model: model(),
        descriptor_dim: 128,
        descriptor_encoding: encoding,
        horizon_bins: bins,
        build,
        created_unix_s: 1_790_000_000,
        tool_version: "lsar 0.1.0".to_string(),
    }
}

/// A seeded pack with `n_vp` viewpoints, up to `views` views each and up to `kps` keypoints
/// per view (some views empty).
pub fn synthetic(
    seed: u64,
    n_vp: usize,
    views: usize,
    kps: usize,
    enc: DescriptorEncoding,
) -> Synthetic {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bins = 36;
    let meta = metadata(enc, bins);
    let viewpoints = (0..n_vp)
        .map(|_| {
            let position_enu = [
                rng.random_range(-9e3..9e3),
                rng.random_range(-9e3..9e3),
                rng.random_range(500.0..3000.0),
            ];
            let horizon = (0..bins)
                .map(|_| HorizonSample {
                    elevation_deg: rng.random_range(-5.0..25.0),
                    distance_m: if rng.random_bool(0.1) {
                        f32::INFINITY
                    } else {
                        rng.random_range(100.0..5e4)
                    },
                })
                .collect();
            let n_views = rng.random_range(0..=views);
            let views = (0..n_views)
                .map(|v| {
                    let n = if rng.random_bool(0.2) { 0 } else { rng.random_range(1..=kps) };
                    let keypoints = (0..n)
                        .map(|_| Keypoint {
                            point_enu: [
                                rng.random_range(-2e4..2e4),
                                rng.random_range(-2e4..2e4),
                                rng.random_range(0.0..4e3),
                            ],
                            view: 0,
                            pixel: [rng.random_range(0.0..1023.0), rng.random_range(0.0..767.0)],
                            scale: rng.random_range(1.0..30.0),
                            response: rng.random_range(0.0..1.0),
                        })
                        .collect();
                    let descriptors = (0..n).flat_map(|_| unit_row(&mut rng)).collect();
                    ViewInput {
                        params: ViewParams {
                            yaw_deg: 30.0 * v as f64,
                            pitch_deg: rng.random_range(-5.0..5.0),
                            roll_deg: 0.0,
                            hfov_deg: 60.0,
                            width: 1024,
                            height: 768,
                        },
                        keypoints,
                        descriptors,
                    }
                })
                .collect();
            ViewpointInput {
                position_enu,
                ground_height: rng.random_range(400.0..2900.0),
                horizon,
                views,
            }
        })
        .collect();
    let pois = (0..7)
        .map(|i| PoiInput {
            name: format!("Piz {i} – Gipfel"),
            lat: rng.random_range(46.0..46.25),
            lon: rng.random_range(7.5..7.75),
            elevation_msl: rng.random_range(2000.0..4500.0),
            prominence: if i == 3 { f32::NAN } else { rng.random_range(10.0..900.0) },
        })
        .collect();
    Synthetic { meta, viewpoints, pois }
}

fn unit_row(rng: &mut ChaCha8Rng) -> Vec<f32> {
    let v: Vec<f32> = (0..128).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.into_iter().map(|x| x / n).collect()
}

/// Writes a synthetic pack with the writer; returns its length.
pub fn write(s: &Synthetic, path: &Path) -> u64 {
    let mut w = PackWriter::create(path, s.meta.clone()).unwrap();
    for vp in &s.viewpoints {
        w.add_viewpoint(vp.position_enu, vp.ground_height, &vp.horizon).unwrap();
        for v in &vp.views {
            w.add_view(&v.params, &v.keypoints, &v.descriptors).unwrap();
        }
    }
    for p in &s.pois {
        w.add_poi(&p.name, p.lat, p.lon, p.elevation_msl, p.prominence).unwrap();
    }
    w.finish().unwrap()
}

/// A fresh, empty, unique directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lsar-pack-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The bytes of a small seeded pack (written once per encoding and test run).
pub fn small_pack_bytes(enc: DescriptorEncoding) -> Vec<u8> {
    static PACKS: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    let packs = PACKS.get_or_init(|| {
        let dir = temp_dir("small");
        let path = dir.join("small.lsarpack");
        let mut out = [Vec::new(), Vec::new()];
        for (o, enc) in out.iter_mut().zip([DescriptorEncoding::F16, DescriptorEncoding::Int8]) {
            write(&synthetic(7, 4, 3, 5, enc), &path);
            *o = std::fs::read(&path).unwrap();
        }
        std::fs::remove_dir_all(&dir).unwrap();
        out
    });
    match enc {
        DescriptorEncoding::F16 => packs[0].clone(),
        _ => packs[1].clone(),
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Table entries as (entry offset in the file, kind, offset, length, count).
pub fn entries(b: &[u8]) -> Vec<(usize, u32, u64, u64, u64)> {
    let n = u32_at(b, 16) as usize;
    (0..n)
        .map(|i| {
            let at = 64 + 32 * i;
            (at, u32_at(b, at), u64_at(b, at + 8), u64_at(b, at + 16), u64_at(b, at + 24))
        })
        .collect()
}

/// Entry position of a section kind.
pub fn entry_of(b: &[u8], kind: u32) -> (usize, u32, u64, u64, u64) {
    entries(b).into_iter().find(|e| e.1 == kind).unwrap()
}

/// Recomputes every checksum (sections within the file, table, header) and the header's file
/// length, so that damage reaches the structural checks behind the CRCs.
pub fn reseal(b: &mut [u8]) {
    if b.len() < 64 {
        return;
    }
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
