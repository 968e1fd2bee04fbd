//! Drawing the peak overlay onto a photo: for each label from lsar-core's overlay (already
//! projected, hidden ones removed) a marker at the peak's pixel, a leader line, and a box
//! with two lines of text, the name and "elevation m, distance km".
//!
//! Text uses the public-domain 8x8 bitmap font of the `font8x8` crate (ASCII; other
//! characters are drawn as `?`), scaled by whole pixels: no system fonts, nothing loaded at
//! run time. Boxes are sized for the text actually drawn, kept inside the image (below the
//! peak when there is no room above it) and decluttered again with those sizes, so no two
//! boxes overlap.

use font8x8::legacy::BASIC_LEGACY;
use image::{Rgb, RgbImage};
use lsar_core::overlay::{DeclutterOptions, Label, LabelBox, declutter};

/// Size of one glyph of the font, pixels (before scaling).
const GLYPH: u32 = 8;
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const DARK: Rgb<u8> = Rgb([20, 20, 20]);
const MARKER: Rgb<u8> = Rgb([255, 200, 40]);

/// How labels are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawStyle {
    /// Whole-pixel scale of the 8x8 font (1: 8 px glyphs).
    pub scale: u32,
    /// Length of the leader line between the peak and its box, pixels.
    pub leader_px: f64,
    /// Free space around each box and inside it around the text, pixels.
    pub padding_px: f64,
    /// Most labels drawn (highest priority first); `None`: all that fit.
    pub max_labels: Option<usize>,
}

impl DrawStyle {
    /// A style for an image of this size: font scale 1 below 1024 px wide, then one more per
    /// 512 px; leader and padding grow with it.
    pub fn for_image(width: u32, _height: u32) -> Self {
        let scale = (width / 512).clamp(1, 8);
        Self {
            scale,
            leader_px: 24.0 * f64::from(scale),
            padding_px: 3.0 * f64::from(scale),
            max_labels: None,
        }
    }

    fn glyph_px(&self) -> u32 {
        GLYPH * self.scale.max(1)
    }
}

/// The two text lines of a label: the name, then the elevation above sea level and the map
/// distance (`"3120 m, 850 m"` or `"3120 m, 12.4 km"`).
pub fn label_lines(label: &Label) -> [String; 2] {
    let d = label.distance_m;
    let distance = if d < 1000.0 { format!("{d:.0} m") } else { format!("{:.1} km", d / 1000.0) };
    [label.name.clone(), format!("{:.0} m, {distance}", label.elevation_msl)]
}

/// The box for a label's text: centred above the peak, `leader_px` above it, shifted
/// horizontally into the image; below the peak when it would leave the top of the image.
pub fn text_box(label: &Label, width: u32, style: &DrawStyle) -> LabelBox {
    let g = f64::from(style.glyph_px());
    let chars = label_lines(label).iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let w = chars as f64 * g + 2.0 * style.padding_px;
    let h = 2.0 * g + 3.0 * style.padding_px;
    let [x, y] = label.pixel;
    let max_left = (f64::from(width) - w).max(0.0);
    let left = (x - 0.5 * w).clamp(0.0, max_left);
    let top =
        if y - style.leader_px - h >= 0.0 { y - style.leader_px - h } else { y + style.leader_px };
    LabelBox { x_min: left, y_min: top, x_max: left + w, y_max: top + h }
}

/// Gives each label its [`text_box`] and keeps those that fit without overlapping, in the
/// priority order of lsar-core's declutter.
pub fn layout(labels: Vec<Label>, width: u32, style: &DrawStyle) -> Vec<Label> {
    let sized: Vec<Label> = labels
        .into_iter()
        .map(|mut l| {
            l.label_box = text_box(&l, width, style);
            l
        })
        .collect();
    let options = DeclutterOptions {
        gap_px: style.padding_px,
        max_labels: style.max_labels,
        ..DeclutterOptions::default()
    };
    declutter(sized, &options)
}

fn put(img: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y))
        && x < img.width()
        && y < img.height()
    {
        img.put_pixel(x, y, colour);
    }
}

/// Fills a square of side `2 r + 1` centred on a pixel.
fn dot(img: &mut RgbImage, x: i64, y: i64, r: i64, colour: Rgb<u8>) {
    for dy in -r..=r {
        for dx in -r..=r {
            put(img, x + dx, y + dy, colour);
        }
    }
}

/// A straight line (Bresenham) `thickness` pixels wide.
pub fn draw_line(img: &mut RgbImage, a: [f64; 2], b: [f64; 2], thickness: u32, colour: Rgb<u8>) {
    let (mut x, mut y) = (a[0].round() as i64, a[1].round() as i64);
    let (x1, y1) = (b[0].round() as i64, b[1].round() as i64);
    let (dx, dy) = ((x1 - x).abs(), -(y1 - y).abs());
    let (sx, sy) = (if x < x1 { 1 } else { -1 }, if y < y1 { 1 } else { -1 });
    let r = i64::from(thickness / 2);
    let mut err = dx + dy;
    for _ in 0..=(dx - dy) {
        dot(img, x, y, r, colour);
        if x == x1 && y == y1 {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

/// Darkens a box (70 % towards black) and draws its 1-pixel outline in white.
fn draw_box(img: &mut RgbImage, b: &LabelBox) {
    let (x0, y0) = (b.x_min.floor() as i64, b.y_min.floor() as i64);
    let (x1, y1) = (b.x_max.ceil() as i64, b.y_max.ceil() as i64);
    for y in y0.max(0)..y1.min(i64::from(img.height())) {
        for x in x0.max(0)..x1.min(i64::from(img.width())) {
            let (Ok(ux), Ok(uy)) = (u32::try_from(x), u32::try_from(y)) else { continue };
            let p = img.get_pixel_mut(ux, uy);
            p.0 = p.0.map(|c| (f32::from(c) * 0.3).round() as u8);
        }
    }
    for x in x0..x1 {
        put(img, x, y0, WHITE);
        put(img, x, y1 - 1, WHITE);
    }
    for y in y0..y1 {
        put(img, x0, y, WHITE);
        put(img, x1 - 1, y, WHITE);
    }
}

/// Draws ASCII text with its top-left corner at `(x, y)`, glyphs `8 * scale` pixels square.
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, text: &str, scale: u32, colour: Rgb<u8>) {
    let s = i64::from(scale.max(1));
    for (i, c) in text.chars().enumerate() {
        let code = if c.is_ascii() { c as usize } else { '?' as usize };
        let Some(rows) = BASIC_LEGACY.get(code) else { continue };
        let gx = x + i as i64 * 8 * s;
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..8 {
                if (bits >> col) & 1 == 1 {
                    for (dy, dx) in (0..s).flat_map(|dy| (0..s).map(move |dx| (dy, dx))) {
                        put(img, gx + col * s + dx, y + row as i64 * s + dy, colour);
                    }
                }
            }
        }
    }
}

/// Draws laid-out labels (see [`layout`]): leader line, marker, box and text.
pub fn draw_labels(img: &mut RgbImage, labels: &[Label], style: &DrawStyle) {
    let t = style.scale.max(1);
    for label in labels {
        let (from, to) = label.leader_line();
        draw_line(img, from, to, t + 2, DARK);
        draw_line(img, from, to, t, WHITE);
        let (x, y) = (label.pixel[0].round() as i64, label.pixel[1].round() as i64);
        dot(img, x, y, i64::from(2 * t), DARK);
        dot(img, x, y, i64::from(t), MARKER);
    }
    let g = i64::from(style.glyph_px());
    for label in labels {
        let b = &label.label_box;
        draw_box(img, b);
        let pad = style.padding_px.round() as i64;
        let (x, y) = (b.x_min.round() as i64 + pad, b.y_min.round() as i64 + pad);
        let [name, detail] = label_lines(label);
        draw_text(img, x, y, &name, style.scale, WHITE);
        draw_text(img, x, y + g + pad, &detail, style.scale, MARKER);
    }
}

/// [`layout`] then [`draw_labels`]; returns the labels drawn.
pub fn draw_overlay(img: &mut RgbImage, labels: Vec<Label>, style: &DrawStyle) -> Vec<Label> {
    let laid = layout(labels, img.width(), style);
    draw_labels(img, &laid, style);
    laid
}

#[cfg(test)]
mod tests {
    use lsar_core::overlay::Visibility;

    use super::*;

    fn label(name: &str, x: f64, y: f64, prominence: f64) -> Label {
        Label {
            name: name.to_string(),
            pixel: [x, y],
            label_box: LabelBox { x_min: x, y_min: y, x_max: x, y_max: y },
            lat: 46.5,
            lon: 8.0,
            elevation_msl: 3000.0,
            height: 3050.0,
            prominence: Some(prominence),
            distance_m: 5000.0,
            slant_distance_m: 5000.0,
            bearing_deg: 90.0,
            elevation_angle_deg: 2.0,
            visible: true,
            visibility: Visibility::Visible,
        }
    }

    #[test]
    fn layout_keeps_boxes_inside_and_apart() {
        let style = DrawStyle::for_image(640, 480);
        let labels = vec![
            label("Piz Alto", 320.0, 200.0, 500.0),
            label("Piz Basso", 330.0, 205.0, 100.0),
            label("Edge", 3.0, 10.0, 300.0),
        ];
        let laid = layout(labels, 640, &style);
        let names: Vec<&str> = laid.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Piz Alto", "Edge"]);
        for l in &laid {
            let b = &l.label_box;
            assert!(b.x_min >= 0.0 && b.x_max <= 640.0 && b.y_min >= 0.0, "{b:?}");
        }
        // Near the top the box goes below the peak.
        assert!(laid[1].label_box.y_min > 10.0);
    }

    #[test]
    fn text_and_labels_change_pixels() {
        let mut img = RgbImage::from_pixel(200, 100, Rgb([100, 150, 200]));
        draw_text(&mut img, 10, 10, "A", 1, WHITE);
        let lit = (10..18).flat_map(|x| (10..18).map(move |y| (x, y)));
        let count = lit.filter(|&(x, y)| *img.get_pixel(x, y) == WHITE).count();
        assert!((10..40).contains(&count), "{count}");
        let style = DrawStyle::for_image(200, 100);
        let drawn = draw_overlay(&mut img, vec![label("P", 100.0, 80.0, 1.0)], &style);
        assert_eq!(drawn.len(), 1);
        assert_eq!(*img.get_pixel(100, 80), MARKER);
    }
}
