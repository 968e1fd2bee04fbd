//! Renderer benchmarks over the SRTM tile N44E005 (1 x 1 degree, 3") from 50 m above the
//! ground: one 1024 x 1024 view, and a 12-view 1024 px panorama (60 degree views every 30
//! degrees). Skipped with a message when `../shared/data` is absent.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lsar_desktop::dem::{Vertical, load_dems};
use lsar_desktop::render::{
    CameraHeight, PanoramaSpec, RenderCamera, RenderOptions, Style, TerrainModel, camera_position,
    panorama_cameras, render_view,
};
use lsar_geometry::Camera;

fn bench(c: &mut Criterion) {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/dem/srtm3_N44E005/N44E005.hgt"
    ));
    if !path.exists() {
        println!("skipped: {} is absent", path.display());
        return;
    }
    let Ok(dem) = load_dems(&[path], None, Vertical::Egm96) else { return };
    let Some(model) = TerrainModel::new(dem) else { return };
    let Ok(pos) = camera_position(&model, 44.5, 5.5, CameraHeight::AboveGround(50.0)) else {
        return;
    };
    let opts = RenderOptions::default();
    let mut g = c.benchmark_group("render");
    g.sample_size(10);
    let cam =
        RenderCamera::from_angles(&pos, 30.0, 0.0, 0.0, Camera::from_hfov_deg(1024, 1024, 60.0));
    g.bench_function("view_1024", |b| {
        b.iter(|| black_box(render_view(&model, &cam, &opts, Style::Render).map(|v| v.stats)))
    });
    let cams = panorama_cameras(&pos, &PanoramaSpec::default());
    g.bench_function("panorama_12x1024", |b| {
        b.iter(|| {
            cams.iter()
                .map(|cam| {
                    render_view(&model, cam, &opts, Style::Render).map_or(0, |v| v.stats.triangles)
                })
                .sum::<u64>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
