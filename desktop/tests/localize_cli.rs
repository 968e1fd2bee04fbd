//! `lsar localize`, `lsar overlay` and `lsar demo` end to end, and the EXIF reading behind
//! them. The demo (terrain, tiny pack of the embedded model, query, localization) runs once
//! and its output folder is shared by the CLI tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::{Rgb, RgbImage};
use lsar_core::geometry::camera_json::CameraJson;
use lsar_core::overlay::{Egm96Exact, Projector, pois_from_pack, resolve_pois};
use lsar_core::pack::PackReader;
use lsar_desktop::exif::{load_photo, read_exif};

fn lsar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lsar")).args(args).output().expect("run lsar")
}

/// The demo's output folder (the demo runs once per test binary) and its exit status.
fn demo() -> &'static (PathBuf, Output) {
    static DEMO: OnceLock<(PathBuf, Output)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = tmp.join(format!("localize-cli-{}", std::process::id()));
        let out = lsar(&["demo", "--out", dir.to_str().expect("utf-8 temp dir"), "--rebuild"]);
        (dir, out)
    })
}

fn demo_file(name: &str) -> String {
    demo().0.join(name).to_str().expect("utf-8").to_string()
}

fn rational(v: f64) -> Rational {
    Rational { num: (v * 10_000.0).round() as u32, denom: 10_000 }
}

fn dms(deg: u32, min: u32, sec: f64) -> Value {
    Value::Rational(vec![rational(f64::from(deg)), rational(f64::from(min)), rational(sec)])
}

/// A JPEG of `img` with an APP1 EXIF segment holding `fields`.
fn jpeg_with_exif(img: &RgbImage, fields: &[Field]) -> Vec<u8> {
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).expect("encode");
    let mut writer = Writer::new();
    for f in fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("write exif");
    let tiff = tiff.into_inner();
    let len = u16::try_from(2 + 6 + tiff.len()).expect("small exif");
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn field(tag: Tag, value: Value) -> Field {
    Field { tag, ifd_num: In::PRIMARY, value }
}

fn ascii(s: &str) -> Value {
    Value::Ascii(vec![s.as_bytes().to_vec()])
}

fn gps_fields(lat_ref: &str, lon_ref: &str, alt_ref: u8) -> Vec<Field> {
    vec![
        field(Tag::GPSLatitudeRef, ascii(lat_ref)),
        field(Tag::GPSLatitude, dms(33, 51, 30.0)),
        field(Tag::GPSLongitudeRef, ascii(lon_ref)),
        field(Tag::GPSLongitude, dms(151, 12, 36.0)),
        field(Tag::GPSAltitudeRef, Value::Byte(vec![alt_ref])),
        field(Tag::GPSAltitude, Value::Rational(vec![rational(120.5)])),
        field(Tag::FocalLength, Value::Rational(vec![rational(4.25)])),
        field(Tag::FocalLengthIn35mmFilm, Value::Short(vec![26])),
    ]
}

#[test]
fn exif_gps_hemisphere_signs_altitude_and_focal() {
    let img = RgbImage::from_pixel(400, 300, Rgb([90, 120, 160]));
    let (lat, lon) = (33.0 + 51.0 / 60.0 + 30.0 / 3600.0, 151.0 + 12.0 / 60.0 + 36.0 / 3600.0);
    for (lat_ref, lon_ref, alt_ref, sign_lat, sign_lon, sign_alt) in [
        ("S", "E", 1, -1.0, 1.0, -1.0),
        ("N", "W", 0, 1.0, -1.0, 1.0),
        ("S", "W", 0, -1.0, -1.0, 1.0),
    ] {
        let bytes = jpeg_with_exif(&img, &gps_fields(lat_ref, lon_ref, alt_ref));
        let exif = read_exif(&bytes).expect("exif parses");
        let gps = exif.gps.expect("gps present");
        assert!((gps.lat - sign_lat * lat).abs() < 1e-6, "{lat_ref}: {}", gps.lat);
        assert!((gps.lon - sign_lon * lon).abs() < 1e-6, "{lon_ref}: {}", gps.lon);
        let alt = gps.altitude_msl.expect("altitude");
        assert!((alt - sign_alt * 120.5).abs() < 1e-6, "{alt}");
        assert_eq!(exif.focal_35mm, Some(26.0));
        assert!((exif.focal_length_mm.expect("focal") - 4.25).abs() < 1e-9);
        // 35 mm equivalent over the diagonal: a 4:3 image is 0.8 of the 43.27 mm diagonal.
        let expected = 2.0 * (43.266_615 * 0.8 / 52.0_f64).atan().to_degrees();
        let hfov = exif.hfov_deg(400, 300, 400).expect("fov");
        assert!((hfov - expected).abs() < 1e-3 && (hfov - 67.3).abs() < 0.2, "{hfov}");
    }
    // No EXIF at all: nothing, and no error.
    let mut plain = Vec::new();
    img.write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Png).expect("png");
    assert_eq!(read_exif(&plain).expect("no exif is fine"), Default::default());
}

/// A 40 x 20 blue image with a red 10 x 10 block in its stored top-left corner.
fn marked() -> RgbImage {
    RgbImage::from_fn(
        40,
        20,
        |x, y| if x < 10 && y < 10 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) },
    )
}

fn is_red(img: &RgbImage, x: u32, y: u32) -> bool {
    let p = img.get_pixel(x, y).0;
    p[0] > 180 && p[2] < 80
}

#[test]
fn exif_orientation_turns_pixels_upright() {
    // (tag, upright size, where the red corner block ends up (its centre)).
    let cases = [
        (1, (40, 20), (5, 5)),
        (3, (40, 20), (34, 14)),
        (6, (20, 40), (14, 5)), // rotate 90 clockwise: top-left -> top-right
        (8, (20, 40), (5, 34)), // rotate 90 anticlockwise: top-left -> bottom-left
        (5, (20, 40), (5, 5)),  // transpose
        (2, (40, 20), (34, 5)), // mirror
    ];
    for (tag, size, red) in cases {
        let bytes = jpeg_with_exif(&marked(), &[field(Tag::Orientation, Value::Short(vec![tag]))]);
        let photo = load_photo(&bytes).expect("decodes");
        assert_eq!(photo.exif.orientation, Some(tag));
        assert_eq!(photo.rgb.dimensions(), size, "tag {tag}");
        assert_eq!(photo.raw_size, (40, 20));
        assert!(is_red(&photo.rgb, red.0, red.1), "tag {tag}: red block not at {red:?}");
        let red_count = photo.rgb.pixels().filter(|p| p.0[0] > 180 && p.0[2] < 80).count();
        assert!((70..=130).contains(&red_count), "tag {tag}: {red_count}");
    }
    // The FOV prior refers to the upright image: a portrait photo has the narrower hfov.
    let mut fields = vec![field(Tag::Orientation, Value::Short(vec![6]))];
    fields.push(field(Tag::FocalLengthIn35mmFilm, Value::Short(vec![26])));
    let photo = load_photo(&jpeg_with_exif(&RgbImage::new(400, 300), &fields)).expect("decodes");
    let expected = 2.0 * (43.266_615 * 0.6 / 52.0_f64).atan().to_degrees();
    let hfov = photo.exif_hfov_deg().expect("fov");
    assert!((hfov - expected).abs() < 1e-3, "{hfov} vs {expected}");
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
    })
}

fn truth() -> CameraJson {
    let text = std::fs::read_to_string(demo_file("camera.json")).expect("camera.json");
    serde_json::from_str(&text).expect("camera json")
}

#[test]
fn demo_localizes_within_tolerance() {
    let (dir, out) = demo();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("result.json")).expect("result"))
            .expect("result.json");
    let e = &result["truth_errors"];
    let (rot, pos, fov) =
        (e["rotation_deg"].as_f64(), e["position_m"].as_f64(), e["fov_deg"].as_f64());
    eprintln!("demo errors: rotation {rot:?} deg, position {pos:?} m, fov {fov:?} deg");
    assert!(rot.expect("rotation") < 0.5, "{e}");
    assert!(pos.expect("position") < 60.0, "{e}");
    assert!(fov.expect("fov") < 0.5, "{e}");
    assert_eq!(result["localized"], true);
    for f in ["demo.lsarpack", "photo.png", "camera.json", "overlay.png"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn localize_prints_camera_json_and_draws_the_overlay() {
    let t = truth();
    let pos = t.position.expect("truth position");
    let (lat, lon) = (format!("{}", pos.lat + 0.0002), format!("{}", pos.lon - 0.0002));
    let dir = &demo().0;
    let overlay = dir.join("cli-overlay.png");
    let out = lsar(&[
        "localize",
        "--pack",
        &demo_file("demo.lsarpack"),
        "--image",
        &demo_file("photo.png"),
        "--gps",
        &lat,
        &lon,
        "--out",
        dir.join("cli.json").to_str().expect("utf-8"),
        "--overlay",
        overlay.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["localized"], true);
    assert_eq!(v["frame"], "ecef");
    assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(1024), Some(768)));
    assert_eq!(v["cam_from_world"]["rotation"].as_array().map(Vec::len), Some(3));
    for key in ["focal_px", "fov_deg", "yaw_deg", "pitch_deg", "roll_deg", "confidence"] {
        assert!(v[key].is_f64(), "{key} missing: {v}");
    }
    assert!((v["position"]["lat"].as_f64().expect("lat") - pos.lat).abs() < 1e-3);
    assert!((v["yaw_deg"].as_f64().expect("yaw") - t.yaw_deg.expect("yaw")).abs() < 1.0);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cli.json")).expect("--out"))
            .expect("json");
    assert_eq!(written, v);
    let img = image::open(&overlay).expect("overlay png").into_rgb8();
    assert_eq!(img.dimensions(), (1024, 768));
}

#[test]
fn localize_failures_are_json_with_exit_code_2() {
    let pack = demo_file("demo.lsarpack");
    // Outside the pack.
    let out = lsar(&[
        "localize",
        "--pack",
        &pack,
        "--image",
        &demo_file("photo.png"),
        "--gps",
        "-33.0",
        "151.0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out);
    assert_eq!(v["localized"], false);
    assert_eq!(v["reason"]["kind"], "outside_packs");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    // Inside, but a featureless photo.
    let pos = truth().position.expect("position");
    let plain = demo().0.join("plain.png");
    RgbImage::from_pixel(640, 480, Rgb([128, 140, 150])).save(&plain).expect("save");
    let (lat, lon) = (pos.lat.to_string(), pos.lon.to_string());
    let out = lsar(&[
        "localize",
        "--pack",
        &pack,
        "--image",
        plain.to_str().expect("utf-8"),
        "--gps",
        &lat,
        &lon,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let v = json_of(&out);
    assert_eq!(v["localized"], false);
    assert!(v["reason"]["kind"].is_string());
    // Bad input is an error (exit 1), not a failed localization.
    let out = lsar(&[
        "localize",
        "--pack",
        &pack,
        "--image",
        &demo_file("photo.png"),
        "--gps",
        "200",
        "8",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

fn changed_near(a: &RgbImage, b: &RgbImage, x: f64, y: f64, r: i64) -> usize {
    let (cx, cy) = (x.round() as i64, y.round() as i64);
    let mut n = 0;
    for py in cy - r..=cy + r {
        for px in cx - r..=cx + r {
            let (Ok(ux), Ok(uy)) = (u32::try_from(px), u32::try_from(py)) else { continue };
            if ux < a.width() && uy < a.height() && a.get_pixel(ux, uy) != b.get_pixel(ux, uy) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn overlay_draws_labels_at_the_projected_peaks() {
    let out_png = demo().0.join("truth-overlay.png");
    let out = lsar(&[
        "overlay",
        "--image",
        &demo_file("photo.png"),
        "--camera",
        &demo_file("camera.json"),
        "--pack",
        &demo_file("demo.lsarpack"),
        "--out",
        out_png.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let labels = v["labels"].as_array().expect("labels");
    assert!(!labels.is_empty(), "no label drawn: {v}");
    let photo = image::open(demo_file("photo.png")).expect("photo").into_rgb8();
    let drawn = image::open(&out_png).expect("overlay").into_rgb8();
    assert_eq!(drawn.dimensions(), photo.dimensions());
    // Independent projection of the pack's POIs with the truth camera.
    let (camera, pose) = truth().to_parts().expect("camera");
    let projector = Projector::new(&camera, &pose).expect("projector");
    let pack = PackReader::open(demo_file("demo.lsarpack"), None).expect("pack");
    let pois = resolve_pois(&pois_from_pack(&pack).expect("pois"), &Egm96Exact).expect("resolve");
    for label in labels {
        let name = label["name"].as_str().expect("name");
        let poi = pois.iter().find(|p| p.poi.name == name).expect("label is a pack POI");
        let pixel = projector.project(poi).pixel.expect("in front");
        let (x, y) =
            (label["pixel"][0].as_f64().expect("x"), label["pixel"][1].as_f64().expect("y"));
        assert!(
            (pixel.x - x).abs() < 0.5 && (pixel.y - y).abs() < 0.5,
            "{name}: {pixel:?} vs {x},{y}"
        );
        // The marker covers the anchor; the leader line and box lie above (or below) it.
        assert!(changed_near(&photo, &drawn, x, y, 2) >= 20, "{name}: nothing drawn at the peak");
        assert!(changed_near(&photo, &drawn, x, y, 100) >= 2000, "{name}: no label near the peak");
    }
    // Far from every label the photo is untouched.
    let far = (0..photo.height())
        .flat_map(|y| (0..photo.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            labels.iter().all(|l| {
                let lx = l["pixel"][0].as_f64().unwrap_or(0.0);
                let ly = l["pixel"][1].as_f64().unwrap_or(0.0);
                (f64::from(x) - lx).abs() > 300.0 || (f64::from(y) - ly).abs() > 160.0
            })
        })
        .filter(|&(x, y)| photo.get_pixel(x, y) != drawn.get_pixel(x, y))
        .count();
    assert_eq!(far, 0, "pixels changed far from every label");
}

fn to_dms(v: f64) -> Value {
    let v = v.abs();
    let (d, m) = (v.floor(), (v.fract() * 60.0).floor());
    dms(d as u32, m as u32, (v * 3600.0 - d * 3600.0 - m * 60.0).max(0.0))
}

#[test]
fn localize_takes_gps_and_fov_priors_from_exif() {
    let pos = truth().position.expect("position");
    let photo = image::open(demo_file("photo.png")).expect("photo").into_rgb8();
    let fields = vec![
        field(Tag::GPSLatitudeRef, ascii(if pos.lat < 0.0 { "S" } else { "N" })),
        field(Tag::GPSLatitude, to_dms(pos.lat)),
        field(Tag::GPSLongitudeRef, ascii(if pos.lon < 0.0 { "W" } else { "E" })),
        field(Tag::GPSLongitude, to_dms(pos.lon)),
        field(Tag::FocalLengthIn35mmFilm, Value::Short(vec![33])),
    ];
    let jpeg = demo().0.join("exif.jpg");
    std::fs::write(&jpeg, jpeg_with_exif(&photo, &fields)).expect("write jpeg");
    let pack = demo_file("demo.lsarpack");
    let out = lsar(&["localize", "--pack", &pack, "--image", jpeg.to_str().expect("utf-8")]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let p = &v["priors"];
    assert_eq!(p["gps"]["source"], "exif");
    assert!((p["gps"]["lat"].as_f64().expect("lat") - pos.lat).abs() < 1e-6, "{p}");
    assert!((p["gps"]["lon"].as_f64().expect("lon") - pos.lon).abs() < 1e-6, "{p}");
    assert_eq!(p["fov_source"], "exif");
    // 33 mm equivalent on a 4:3 frame: 2 atan(0.8 * 43.27 / 66) = 55.35 degrees.
    assert!((p["fov_deg"].as_f64().expect("fov") - 55.35).abs() < 0.05, "{p}");
    eprintln!("exif jpeg: localized = {}", v["localized"]);
}
