//! Random mutations of valid packs fed to open, verify and every accessor: errors are fine,
//! panics are not. Half the cases reseal the checksums so that the mutations reach the
//! structural checks instead of stopping at a CRC.

use std::sync::OnceLock;

use lsar_pack::{DescriptorEncoding, PackReader};
use proptest::prelude::*;

use crate::support::{reseal, small_pack_bytes};

fn packs() -> &'static [Vec<u8>; 2] {
    static PACKS: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    PACKS.get_or_init(|| {
        [small_pack_bytes(DescriptorEncoding::F16), small_pack_bytes(DescriptorEncoding::Int8)]
    })
}

/// Calls every accessor over everything the reader claims to hold.
fn exercise(r: &PackReader) {
    let _ = r.verify();
    let n_vp = r.viewpoints().len();
    for i in 0..n_vp + 2 {
        let _ = r.viewpoint(i);
        let _ = r.viewpoint_views(i);
        let _ = r.horizon(i);
    }
    for v in 0..r.views().len() + 2 {
        if let Ok(kps) = r.view_keypoints(v) {
            for kp in kps {
                let _ = r.views().get(kp.view as usize);
            }
        }
    }
    for p in r.pois() {
        let _ = r.poi_name(p);
    }
    let d = r.descriptors();
    let mut row = vec![0.0; d.dim()];
    for i in 0..d.len() + 2 {
        let _ = d.row_into(i, &mut row);
        let _ = d.row_f16(i);
        let _ = d.row_i8(i);
    }
    let mut out = Vec::new();
    for (c, radius) in [([0.0, 0.0], 5e3), ([1e12, -1e12], 1e13), ([f64::NAN, 0.0], 1.0)] {
        r.viewpoints_within(c, radius, &mut out);
    }
    let _ = r.metadata();
    let _ = r.sections();
}

#[derive(Debug, Clone)]
enum Mutation {
    Set { at: usize, value: u8 },
    SetU64 { at: usize, value: u64 },
    SetF64 { at: usize, value: f64 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Set { at, value }),
        // Word-sized damage aimed at the header and the table, where offsets and counts live.
        3 => (0usize..400, prop_oneof![Just(0u64), Just(u64::MAX), Just(1 << 32), 0u64..100_000])
            .prop_map(|(at, value)| Mutation::SetU64 { at: at / 8 * 8, value }),
        // Extreme numbers anywhere, to reach the value checks and the spatial index.
        3 => (any::<usize>(), prop_oneof![
            Just(f64::NAN), Just(f64::INFINITY), Just(f64::MAX), Just(-f64::MAX),
            Just(1e300), Just(-0.0), Just(f64::MIN_POSITIVE), -1e7f64..1e7,
        ])
            .prop_map(|(at, value)| Mutation::SetF64 { at, value }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..80))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
    ]
}

fn apply(b: &mut Vec<u8>, m: &Mutation) {
    let len = b.len().max(1);
    match m {
        Mutation::Set { at, value } => {
            if let Some(x) = b.get_mut(at % len) {
                *x = *value;
            }
        }
        Mutation::SetU64 { at, value } => {
            if let Some(x) = b.get_mut(*at..at + 8) {
                x.copy_from_slice(&value.to_le_bytes());
            }
        }
        Mutation::SetF64 { at, value } => {
            let at = at % len / 8 * 8;
            if let Some(x) = b.get_mut(at..at + 8) {
                x.copy_from_slice(&value.to_le_bytes());
            }
        }
        Mutation::Truncate { at } => b.truncate(at % len),
        Mutation::Insert { at, bytes } => {
            let at = at % len;
            b.splice(at..at, bytes.iter().copied());
        }
    }
}

/// Cases per run: 600 by default (a fraction of a second); more for a longer fuzz session,
/// e.g. `LSAR_PACK_FUZZ_CASES=200000 cargo test -p lsar-pack --release -- mutated`.
fn cases() -> u32 {
    std::env::var("LSAR_PACK_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_packs_never_panic(
        which in 0usize..2,
        muts in prop::collection::vec(mutation(), 1..6),
        resealed in any::<bool>(),
    ) {
        let mut b = packs()[which].clone();
        for m in &muts {
            apply(&mut b, m);
        }
        if resealed {
            reseal(&mut b);
        }
        if let Ok(r) = PackReader::from_bytes(&b, None) {
            exercise(&r);
        }
    }
}
