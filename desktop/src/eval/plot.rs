//! The cumulative-error PNG of `lsar eval`: three panels (rotation error in degrees,
//! camera-centre error in metres, FOV error in degrees), the share of all queries below each
//! error on the y axis, one curve per descriptor; failures never count as below.
//!
//! Axes, grid and curves are drawn with plotters' bitmap backend (no font feature: no
//! system fonts are needed); text uses the embedded 8x8 bitmap font of
//! [`crate::overlay_draw::draw_text`].

use std::path::Path;

use image::{Rgb, RgbImage};
use plotters::prelude::*;

use super::error::{EvalError, Result};
use super::metrics::{QueryErrors, recall};
use crate::overlay_draw::draw_text;

const PANEL: (u32, u32) = (520, 460);
/// Room above the panels for the run's title.
const TITLE_PX: u32 = 30;
const COLOURS: [RGBColor; 5] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

/// One panel: a title, the largest error shown, and how to read an error from a query.
struct Panel {
    title: &'static str,
    unit: &'static str,
    max: f64,
    value: fn(&QueryErrors) -> f64,
}

const PANELS: [Panel; 3] = [
    Panel { title: "rotation error", unit: "deg", max: 10.0, value: |q| q.rot_deg },
    Panel { title: "camera centre error", unit: "m", max: 200.0, value: |q| q.centre_m },
    Panel { title: "FOV error", unit: "deg", max: 5.0, value: |q| q.fov_deg },
];

fn plot_err<E: std::fmt::Debug>(e: E) -> EvalError {
    EvalError::Plot { reason: format!("{e:?}") }
}

/// Text placed after plotters has drawn (pixel position, text, colour).
type Text = (i32, i32, String, Rgb<u8>);

/// Draws the cumulative curves of `series` (descriptor name, per-query errors) into a PNG.
///
/// # Errors
/// [`EvalError::Plot`] when drawing or encoding fails; I/O errors.
pub fn write_plot(series: &[super::Series], title: &str, out: &Path) -> Result<()> {
    let (w, h) = (PANEL.0 * 3, PANEL.1 + TITLE_PX);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let mut texts: Vec<Text> = Vec::new();
    let black = Rgb([0, 0, 0]);
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let panels = root.margin(TITLE_PX, 0, 0, 0).split_evenly((1, 3));
        for (area, panel) in panels.iter().zip(&PANELS) {
            let mut chart = ChartBuilder::on(area)
                .margin_top(40)
                .margin_right(20)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0f64..panel.max, 0f64..1f64)
                .map_err(plot_err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(0)
                .y_labels(0)
                .draw()
                .map_err(plot_err)?;
            let grey = RGBColor(220, 220, 220);
            for i in 0..=5 {
                let x = panel.max * f64::from(i) / 5.0;
                let y = f64::from(i) / 5.0;
                chart
                    .draw_series([
                        PathElement::new(vec![(x, 0.0), (x, 1.0)], grey),
                        PathElement::new(vec![(0.0, y), (panel.max, y)], grey),
                    ])
                    .map_err(plot_err)?;
                let (px, py) = chart.backend_coord(&(x, 0.0));
                texts.push((px - 8, py + 8, format!("{x:.0}"), black));
                let (px, py) = chart.backend_coord(&(0.0, y));
                texts.push((px - 34, py - 4, format!("{y:.1}"), black));
            }
            for (k, (name, errors)) in series.iter().enumerate() {
                let colour = COLOURS[k % COLOURS.len()];
                let values: Vec<f64> = errors.iter().map(panel.value).collect();
                let curve = (0..=400).map(|i| {
                    let x = panel.max * f64::from(i) / 400.0;
                    (x, recall(&values, x))
                });
                chart
                    .draw_series(LineSeries::new(curve, colour.stroke_width(2)))
                    .map_err(plot_err)?;
                let (px, py) = chart.backend_coord(&(panel.max * 0.55, 0.08 + 0.07 * k as f64));
                chart
                    .draw_series([PathElement::new(
                        vec![
                            (panel.max * 0.48, 0.09 + 0.07 * k as f64),
                            (panel.max * 0.53, 0.09 + 0.07 * k as f64),
                        ],
                        colour.stroke_width(3),
                    )])
                    .map_err(plot_err)?;
                texts.push((px, py - 4, name.clone(), Rgb([colour.0, colour.1, colour.2])));
            }
            let (px, py) = chart.backend_coord(&(0.0, 1.0));
            texts.push((px, py - 28, panel.title.to_string(), black));
            let (px, py) = chart.backend_coord(&(panel.max, 0.0));
            texts.push((px - 60, py + 24, format!("< error ({})", panel.unit), black));
        }
        root.present().map_err(plot_err)?;
    }
    let mut img = RgbImage::from_raw(w, h, buf)
        .ok_or(EvalError::Plot { reason: "buffer size".to_string() })?;
    draw_text(&mut img, 8, 6, title, 1, black);
    draw_text(&mut img, 8, 18, "share of queries below the error (failures never)", 1, black);
    for (x, y, text, colour) in texts {
        draw_text(&mut img, i64::from(x), i64::from(y), &text, 1, colour);
    }
    img.save(out).map_err(plot_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_curves_of_each_descriptor() {
        let ok = |r: f64| QueryErrors {
            rot_deg: r,
            centre_m: 20.0 * r,
            fov_deg: r / 2.0,
            fov_rel: r / 100.0,
            confidence: 0.9,
            ms: 1.0,
        };
        let series = vec![
            ("sift".to_string(), vec![ok(0.5), ok(1.0), QueryErrors::failure(1.0)]),
            ("hardtfeat".to_string(), vec![ok(3.0), ok(6.0), ok(9.0)]),
        ];
        let path = std::env::temp_dir().join(format!("lsar-eval-plot-{}.png", std::process::id()));
        write_plot(&series, "test", &path).unwrap_or_else(|e| panic!("{e}"));
        let img = image::open(&path).unwrap_or_else(|e| panic!("{e}")).to_rgb8();
        let _ = std::fs::remove_file(&path);
        assert_eq!(img.dimensions(), (PANEL.0 * 3, PANEL.1 + TITLE_PX));
        let count = |c: RGBColor| img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
        // Both curves are drawn in their colours (plus their legend strokes).
        assert!(count(COLOURS[0]) > 300, "{}", count(COLOURS[0]));
        assert!(count(COLOURS[1]) > 300, "{}", count(COLOURS[1]));
    }
}
