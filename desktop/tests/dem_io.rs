//! DEM readers and writers on synthetic files: registration, nodata, CRS, typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;

use lsar_desktop::dem::{
    Crs, DemError, DemGrid, GeoTransform, asc_from_str, geotiff_from_reader, geotiff_to_writer,
    hgt_from_bytes, parse_tile_name, read_dem,
};
use lsar_desktop::render::npy_f32_bytes;
use lsar_desktop::synth::{SynthParams, synthesize};
use tiff::encoder::{TiffEncoder, colortype::Gray32Float};
use tiff::tags::Tag;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lsar-dem-io-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn hgt_bytes(n: usize, f: impl Fn(usize, usize) -> i16) -> Vec<u8> {
    let mut v = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            v.extend_from_slice(&f(r, c).to_be_bytes());
        }
    }
    v
}

#[test]
fn hgt_registration_voids_and_names() {
    assert_eq!(parse_tile_name("N44E005.hgt").unwrap(), (44, 5));
    assert_eq!(parse_tile_name("s12w077.HGT").unwrap(), (-12, -77));
    assert!(parse_tile_name("X44E005.hgt").is_err());
    // Height = 10 * column + row (big-endian), one void.
    let bytes =
        hgt_bytes(1201, |r, c| if (r, c) == (600, 600) { -32768 } else { (10 * c + r) as i16 });
    let g = hgt_from_bytes(&bytes, 44, 5).unwrap();
    // Pixel-is-point on whole degrees: the first sample is the north-west corner.
    assert_eq!(g.sample_lat_lon(45.0, 5.0), Some(0.0));
    assert_eq!(g.sample_lat_lon(44.0, 6.0), Some(10.0 * 1200.0 + 1200.0));
    // Half-way between samples: bilinear.
    let d = 1.0 / 1200.0;
    let v = g.sample_lat_lon(45.0 - 0.5 * d, 5.0 + 0.5 * d).unwrap();
    assert!((v - 5.5).abs() < 1e-9, "{v}");
    // A void is a hole for every bilinear sample touching it, never a zero.
    assert_eq!(g.nodata_count(), 1);
    assert_eq!(g.sample_lat_lon(45.0 - 600.0 * d, 5.0 + 600.0 * d), None);
    assert_eq!(g.sample_lat_lon(45.0 - 600.5 * d, 5.0 + 599.5 * d), None);
    assert!(g.sample_lat_lon(45.0 - 602.0 * d, 5.0 + 600.0 * d).is_some());
    assert_eq!(g.sample_lat_lon(43.99, 5.5), None);
    // 1" tiles.
    let one = hgt_from_bytes(&vec![0; 3601 * 3601 * 2], 46, 7).unwrap();
    assert_eq!((one.width(), one.transform().dx), (3601, 1.0 / 3600.0));
}

#[test]
fn truncated_and_bad_hgt_are_typed_errors() {
    let e = hgt_from_bytes(&[0; 1000], 44, 5).unwrap_err();
    assert!(matches!(e, DemError::Truncated { expected: 2_884_802, found: 1000, .. }), "{e}");
    assert!(matches!(hgt_from_bytes(&[0; 2_884_900], 44, 5), Err(DemError::Malformed { .. })));
    let path = tmp("N44E005.hgt");
    std::fs::write(&path, vec![0_u8; 2_884_801]).unwrap();
    assert!(matches!(read_dem(&path, None), Err(DemError::Truncated { .. })));
    let other = tmp("elevation.xyz");
    std::fs::write(&other, b"1 2 3").unwrap();
    assert!(matches!(read_dem(&other, None), Err(DemError::UnknownFormat)));
    assert!(matches!(
        read_dem(&tmp("missing.hgt").with_file_name("N00E000.hgt"), None),
        Err(DemError::Io { .. })
    ));
}

#[test]
fn esri_ascii_corner_centre_nodata_and_truncation() {
    let body = "1 2 3\n4 -9999 6\n";
    let corner = format!(
        "ncols 3\nnrows 2\nxllcorner 10.0\nyllcorner 40.0\ncellsize 0.5\nNODATA_value -9999\n{body}"
    );
    let g = asc_from_str(&corner, Crs::Geographic).unwrap();
    let t = g.transform();
    // Corner registration: centres half a cell inside; row 0 is the northern row.
    assert_eq!((t.x0, t.y0, t.dx, t.dy), (10.25, 40.75, 0.5, -0.5));
    assert_eq!(g.sample_lat_lon(40.75, 10.25), Some(1.0));
    assert_eq!(g.at(1, 1), None);
    assert_eq!(g.sample_lat_lon(40.5, 10.5), None, "bilinear touching nodata is a hole");
    let centre = corner.replace("xllcorner", "xllcenter").replace("yllcorner", "yllcenter");
    let g = asc_from_str(&centre, Crs::Geographic).unwrap();
    assert_eq!((g.transform().x0, g.transform().y0), (10.0, 40.5));
    let short = corner.replace("4 -9999 6", "4");
    assert!(matches!(
        asc_from_str(&short, Crs::Geographic),
        Err(DemError::Truncated { expected: 6, found: 4, .. })
    ));
    assert!(matches!(asc_from_str("ncols x", Crs::Geographic), Err(DemError::Malformed { .. })));
    // CRS from a .prj beside the file, or missing.
    let asc = tmp("grid.asc");
    std::fs::write(&asc, &corner).unwrap();
    std::fs::remove_file(asc.with_extension("prj")).ok();
    assert!(matches!(read_dem(&asc, None), Err(DemError::MissingCrs)));
    std::fs::write(
        asc.with_extension("prj"),
        "PROJCS[\"WGS_1984_UTM_Zone_32N\",GEOGCS[\"GCS_WGS_1984\"]]",
    )
    .unwrap();
    assert_eq!(read_dem(&asc, None).unwrap().transform().crs, Crs::Utm { zone: 32, north: true });
    std::fs::write(
        asc.with_extension("prj"),
        "PROJCS[\"WGS 84 / Pseudo-Mercator\",AUTHORITY[\"EPSG\",\"3857\"]]",
    )
    .unwrap();
    assert!(matches!(read_dem(&asc, None), Err(DemError::UnknownCrs { .. })));
    assert_eq!(read_dem(&asc, Some(Crs::Geographic)).unwrap().width(), 3);
}

#[test]
fn crs_codes() {
    assert_eq!(Crs::parse("EPSG:4326").unwrap(), Crs::Geographic);
    assert_eq!(Crs::parse("epsg:32733").unwrap(), Crs::Utm { zone: 33, north: false });
    assert_eq!(Crs::parse("32631").unwrap().epsg(), 32631);
    for bad in ["EPSG:3857", "EPSG:32661", "EPSG:abc", ""] {
        assert!(matches!(Crs::parse(bad), Err(DemError::UnknownCrs { .. })), "{bad}");
    }
    // UTM round trip through the geometry crate.
    let utm = Crs::Utm { zone: 31, north: true };
    let (x, y) = utm.from_lat_lon(44.5, 5.5).unwrap();
    let (lat, lon) = utm.to_lat_lon(x, y).unwrap();
    assert!((lat - 44.5).abs() < 1e-9 && (lon - 5.5).abs() < 1e-9);
}

fn tiff_with(keys: Option<&[u16]>, tie: &[f64], scale: &[f64]) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut enc = TiffEncoder::new(&mut buf).unwrap();
        let mut img = enc.new_image::<Gray32Float>(4, 3).unwrap();
        if let Some(k) = keys {
            img.encoder().write_tag(Tag::GeoKeyDirectoryTag, k).unwrap();
        }
        img.encoder().write_tag(Tag::ModelTiepointTag, tie).unwrap();
        img.encoder().write_tag(Tag::ModelPixelScaleTag, scale).unwrap();
        img.write_data(&[1.0_f32; 12]).unwrap();
    }
    buf.into_inner()
}

#[test]
fn geotiff_geokeys_registration_and_errors() {
    let tie = [0.0, 0.0, 0.0, 500_000.0, 5_000_000.0, 0.0];
    let scale = [30.0, 30.0, 0.0];
    // Projected UTM 32N, pixel-is-area: the tie point is the outer corner.
    let area: [u16; 12] = [1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32632];
    let g = geotiff_from_reader(Cursor::new(tiff_with(Some(&area), &tie, &scale)), None).unwrap();
    let t = g.transform();
    assert_eq!(t.crs, Crs::Utm { zone: 32, north: true });
    assert_eq!((t.x0, t.y0, t.dx, t.dy), (500_015.0, 4_999_985.0, 30.0, -30.0));
    // Pixel-is-point (GTRasterTypeGeoKey = 2): the tie point is the sample itself.
    let point: [u16; 16] = [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 2, 3072, 0, 1, 32632];
    let g = geotiff_from_reader(Cursor::new(tiff_with(Some(&point), &tie, &scale)), None).unwrap();
    assert_eq!((g.transform().x0, g.transform().y0), (500_000.0, 5_000_000.0));
    // No GeoKeyDirectory: a typed error (or a caller-given CRS).
    let none = tiff_with(None, &tie, &scale);
    let e = geotiff_from_reader(Cursor::new(none.clone()), None).unwrap_err();
    assert!(matches!(e, DemError::MissingGeoTag { tag: "GeoKeyDirectory" }), "{e}");
    assert!(
        geotiff_from_reader(Cursor::new(none), Some(Crs::Utm { zone: 32, north: true })).is_ok()
    );
    // Web Mercator is not supported.
    let merc: [u16; 12] = [1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 3857];
    let e =
        geotiff_from_reader(Cursor::new(tiff_with(Some(&merc), &tie, &scale)), None).unwrap_err();
    assert!(matches!(e, DemError::UnknownCrs { .. }), "{e}");
    // A directory that claims more keys than it holds.
    let short: [u16; 8] = [1, 1, 0, 5, 1024, 0, 1, 1];
    assert!(matches!(
        geotiff_from_reader(Cursor::new(tiff_with(Some(&short), &tie, &scale)), None),
        Err(DemError::Malformed { .. })
    ));
    // Not a TIFF at all, and a truncated one.
    assert!(matches!(
        geotiff_from_reader(Cursor::new(b"hello".to_vec()), None),
        Err(DemError::Tiff { .. })
    ));
    let full = tiff_with(Some(&area), &tie, &scale);
    for cut in [8, full.len() / 2, full.len() - 5] {
        assert!(geotiff_from_reader(Cursor::new(full[..cut].to_vec()), None).is_err());
    }
}

#[test]
fn synthetic_terrain_geotiff_round_trip() {
    let p = SynthParams { seed: 7, size_m: 6000.0, ..SynthParams::default() };
    let a = synthesize(&p).unwrap();
    let b = synthesize(&p).unwrap();
    assert_eq!(a.grid.heights(), b.grid.heights(), "deterministic");
    assert_eq!(a.summits, b.summits);
    let c = synthesize(&SynthParams { seed: 8, ..p }).unwrap();
    assert_ne!(a.grid.heights(), c.grid.heights());
    assert!(a.summits.len() >= 3 && a.summits.iter().all(|s| s.name.len() > 4));
    let (lo, hi) = a.grid.min_max().unwrap();
    assert!(lo > 300.0 && hi < 6000.0 && hi - lo > 800.0, "{lo} {hi}");
    // Written with EPSG:4326 geokeys and read back by our own reader.
    let path = tmp("synth.tif");
    lsar_desktop::dem::write_geotiff(&path, &a.grid).unwrap();
    let back = read_dem(&path, None).unwrap();
    assert_eq!(back.transform().crs, Crs::Geographic);
    assert_eq!(back.heights(), a.grid.heights());
    let (ta, tb) = (a.grid.transform(), back.transform());
    for (x, y) in [(ta.x0, tb.x0), (ta.y0, tb.y0), (ta.dx, tb.dx), (ta.dy, tb.dy)] {
        assert!((x - y).abs() < 1e-12, "{x} vs {y}");
    }
    // Centre at the requested point, size as requested.
    let b = back.bounds().unwrap();
    assert!(((b.north + b.south) / 2.0 - p.center.0).abs() < 1e-9);
    assert!(((b.north - b.south) * 111_132.0 - 6000.0).abs() < 1.0);
    // Also UTM grids write and read.
    let utm = DemGrid::new(
        2,
        2,
        vec![1.0, 2.0, 3.0, f32::NAN],
        GeoTransform {
            crs: Crs::Utm { zone: 31, north: false },
            x0: 1e5,
            y0: 2e6,
            dx: 10.0,
            dy: -10.0,
        },
    )
    .unwrap();
    let mut buf = Cursor::new(Vec::new());
    geotiff_to_writer(&mut buf, &utm).unwrap();
    let back = geotiff_from_reader(Cursor::new(buf.into_inner()), None).unwrap();
    assert_eq!(back.transform(), utm.transform());
    assert_eq!(back.at(1, 1), None);
}

#[test]
fn npy_header() {
    let bytes = npy_f32_bytes(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, f32::INFINITY]);
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + hlen) % 64, 0);
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
    assert!(header.ends_with('\n'));
    assert_eq!(bytes.len(), 10 + hlen + 24);
    assert_eq!(&bytes[10 + hlen..10 + hlen + 4], &1.0_f32.to_le_bytes());
    assert_eq!(&bytes[bytes.len() - 4..], &f32::INFINITY.to_le_bytes());
}

#[test]
fn mosaic_of_adjacent_tiles() {
    use lsar_desktop::dem::{Dem, Vertical};
    // Two 3" tiles side by side, heights = 1000 + 100 * longitude offset from 5 E.
    let tile = |lon0: i32| {
        let bytes = hgt_bytes(1201, |_, c| {
            (1000.0 + 100.0 * (f64::from(lon0 - 5) + c as f64 / 1200.0)) as i16
        });
        hgt_from_bytes(&bytes, 44, lon0).unwrap()
    };
    let dem = Dem::new(vec![tile(5), tile(6)], Vertical::Ellipsoid);
    let b = dem.bounds().unwrap();
    assert_eq!((b.west, b.east, b.south, b.north), (5.0, 7.0, 44.0, 45.0));
    // Either side of the shared edge, and on it.
    for lon in [5.9, 5.999_9, 6.0, 6.000_1, 6.5] {
        let h = dem.elevation(44.5, lon).unwrap();
        assert!((h - (1000.0 + 100.0 * (lon - 5.0))).abs() < 0.6, "{lon}: {h}");
        assert_eq!(dem.ellipsoidal_height(44.5, lon), Some(h), "ellipsoidal datum adds nothing");
    }
    assert_eq!(dem.elevation(44.5, 7.2), None);
    // With the EGM96 datum the ellipsoidal height adds the geoid undulation (~50 m here).
    let egm = Dem::new(vec![tile(5)], Vertical::Egm96);
    let n = egm.undulation(44.5, 5.5);
    assert!((45.0..55.0).contains(&n), "{n}");
    let e = egm.ellipsoidal_height(44.5, 5.5).unwrap();
    assert!((e - egm.elevation(44.5, 5.5).unwrap() - n).abs() < 1e-9);
}
