//! Criterion benches: the photo branch on batches of 256 and 1024 patches (fast CPU path and
//! candle path), and matching 5000 x 60000 descriptors.
//! Run: `cargo bench -p lsar-vision --bench vision`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use criterion::{Criterion, criterion_group, criterion_main};
use lsar_vision::descriptor::weights::init_tensors;
use lsar_vision::{
    Backend, Branch, Config, Descriptor, DescriptorNet, Descriptors, MatchOptions, Patches,
    match_descriptors,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn descriptor(c: &mut Criterion) {
    let cfg = Config::default();
    let vb = VarBuilder::from_tensors(init_tensors(&cfg, 1).unwrap(), DType::F32, &Device::Cpu);
    let net = DescriptorNet::new(&cfg, vb).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut g = c.benchmark_group("descriptor");
    g.sample_size(10);
    for batch in [256usize, 1024] {
        let data = (0..batch * 3 * 64 * 64).map(|_| rng.random_range(0.0f32..1.0)).collect();
        let p = Patches::new(64, 3, data).unwrap();
        g.bench_function(format!("photo_branch_batch_{batch}"), |b| {
            b.iter(|| net.branch(Branch::Photo).describe(&p).unwrap())
        });
        let candle = net.branch(Branch::Photo).with_backend(Backend::Candle);
        g.bench_function(format!("photo_branch_candle_batch_{batch}"), |b| {
            b.iter(|| candle.describe(&p).unwrap())
        });
    }
    g.finish();
}

fn matching(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut unit = |n: usize| {
        let mut v: Vec<f32> = (0..n * 128).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        v.chunks_exact_mut(128).for_each(lsar_vision::descriptor::l2_normalise);
        Descriptors::new(128, v).unwrap()
    };
    let (q, t) = (unit(5000), unit(60000));
    let mut g = c.benchmark_group("matching");
    g.sample_size(10);
    g.bench_function("nn_5000x60000", |b| {
        b.iter(|| match_descriptors(&q, &t, &MatchOptions::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, descriptor, matching);
criterion_main!(benches);
