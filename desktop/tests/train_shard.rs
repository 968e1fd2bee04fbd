//! Pair shards: exact round trip, loading a directory by split, and refusal of bad files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsar_desktop::dataset::{
    PairDataset, PairShard, PatchSet, Split, read_shard, shard_from_bytes, shard_to_bytes,
    write_shard,
};

fn shard(n: usize, split: Split, region_id: u32) -> PairShard {
    let per = 3 * 8 * 8;
    let bytes = |k: u8| (0..n * per).map(|i| (i as u8).wrapping_mul(7).wrapping_add(k)).collect();
    PairShard {
        region: format!("synth-{region_id}"),
        region_id,
        split,
        origin_ecef: [4_321_098.765_432_1, 612_345.678_901_23, 4_600_000.000_000_7],
        patch_size: 8,
        photo_a: bytes(1),
        render_b: bytes(2),
        render_a: bytes(3),
        photo_b: bytes(4),
        points: (0..n).map(|i| [i as f32 * 10.5, -3.25, 1e4 + i as f32]).collect(),
        pair: (0..n as u32).map(|i| i / 3).collect(),
        info: r#"{"recipe":"test"}"#.into(),
    }
}

#[test]
fn shard_round_trips_exactly() {
    let s = shard(7, Split::Val, 3);
    let back = shard_from_bytes(&shard_to_bytes(&s).unwrap()).unwrap();
    assert_eq!(back, s);
    // Origins keep every bit.
    assert_eq!(back.origin_ecef[0].to_bits(), s.origin_ecef[0].to_bits());
    let dir = std::env::temp_dir().join(format!("lsar-train-shard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.safetensors");
    write_shard(&path, &s).unwrap();
    assert_eq!(read_shard(&path).unwrap(), s);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh temporary folder holding `shards` as `0.safetensors`, `1.safetensors`, ...
fn shard_dir(name: &str, shards: &[PairShard]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lsar-train-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, s) in shards.iter().enumerate() {
        write_shard(&dir.join(format!("{i}.safetensors")), s).unwrap();
    }
    dir
}

#[test]
fn dataset_loads_by_split_with_absolute_points() {
    let dir = shard_dir(
        "split",
        &[shard(5, Split::Train, 0), shard(4, Split::Val, 1), shard(6, Split::Train, 2)],
    );
    let train = PairDataset::load_dir(&dir, Split::Train).unwrap();
    let val = PairDataset::load_dir(&dir, Split::Val).unwrap();
    assert_eq!((train.len(), val.len()), (11, 4));
    let t = train.tags()[6];
    assert_eq!(t.region, 2);
    assert!((t.ecef[0] - (4_321_098.765_432_1 + 10.5)).abs() < 1e-6);
    assert_eq!(train.patch(PatchSet::RenderA, 5), Some(&shard(6, Split::Train, 2).render_a[..192]));
    let b = train.batch(PatchSet::PhotoA, &[0, 10], &candle_core::Device::Cpu).unwrap();
    assert_eq!(b.dims(), &[2, 3, 8, 8]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dataset_keeps_only_the_sets_asked_for() {
    let dir = shard_dir("sets", &[shard(5, Split::Train, 0), shard(6, Split::Train, 2)]);
    let all = PairDataset::load_dir(&dir, Split::Train).unwrap();
    let cross = PairDataset::load_dir_sets(&dir, Split::Train, &PatchSet::CROSS).unwrap();
    assert_eq!(cross.len(), all.len());
    assert_eq!(cross.tags(), all.tags());
    let dev = candle_core::Device::Cpu;
    for set in PatchSet::CROSS {
        assert!(cross.has_set(set));
        for i in 0..all.len() {
            assert_eq!(cross.patch(set, i), all.patch(set, i));
        }
        let (a, c) =
            (all.batch(set, &[1, 9], &dev).unwrap(), cross.batch(set, &[1, 9], &dev).unwrap());
        assert_eq!(
            a.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            c.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        );
    }
    for set in [PatchSet::RenderA, PatchSet::PhotoB] {
        assert!(!cross.has_set(set) && all.has_set(set));
        assert_eq!(cross.patch(set, 0), None);
        let err = cross.batch(set, &[0], &dev).unwrap_err().to_string();
        assert!(err.contains("not loaded"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_shards_are_refused() {
    let s = shard(2, Split::Train, 0);
    let mut bytes = shard_to_bytes(&s).unwrap();
    assert!(shard_from_bytes(&bytes[..bytes.len() / 2]).is_err());
    assert!(shard_from_bytes(b"not a shard").is_err());
    // Corrupt the format tag in the JSON header.
    let pos = bytes.windows(10).position(|w| w == b"lsar-pairs").unwrap();
    bytes[pos] = b'X';
    let err = shard_from_bytes(&bytes).unwrap_err().to_string();
    assert!(err.contains("not an lsar pair shard"), "{err}");
    // Inconsistent arrays cannot be written.
    let mut bad = s;
    bad.photo_b.pop();
    assert!(shard_to_bytes(&bad).is_err());
}
