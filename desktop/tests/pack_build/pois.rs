//! POI files: GeoJSON FeatureCollections (RFC 7946 positions) against CSV, and bad input.

use super::*;

/// The summits inside the region, written as GeoJSON with and without elevations, read back
/// equal to the CSV route; a bad feature is refused with its index.
#[test]
fn geojson_pois_match_csv_and_refuse_bad_features() {
    let s = scene();
    let dem = s.model.dem();
    let summits = &s.terrain.summits;
    assert!(summits.len() >= 2);
    let feature = |m: &lsar_desktop::synth::Summit, with_ele: bool| {
        let props = if with_ele {
            serde_json::json!({ "name": m.name, "elevation": m.elevation_msl })
        } else {
            serde_json::json!({ "name": m.name })
        };
        serde_json::json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [m.lon, m.lat] },
            "properties": props,
        })
    };
    let features: Vec<_> =
        summits.iter().enumerate().map(|(i, m)| feature(m, i % 2 == 0)).collect();
    let doc = serde_json::json!({ "type": "FeatureCollection", "features": features });
    let path = tmp("pois.geojson");
    std::fs::write(&path, doc.to_string()).unwrap();
    let pois = read_poi_file(&path, dem).unwrap();
    let mut csv = String::from("name,lat,lon\n");
    for m in summits {
        csv.push_str(&format!("{},{},{}\n", m.name, m.lat, m.lon));
    }
    let csv_path = tmp("pois-same.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let from_csv = read_poi_file(&csv_path, dem).unwrap();
    assert_eq!(pois.len(), summits.len());
    assert_eq!(from_csv.len(), summits.len());
    for ((p, c), m) in pois.iter().zip(&from_csv).zip(summits) {
        assert_eq!((p.name.as_str(), p.lat, p.lon), (m.name.as_str(), m.lat, m.lon));
        // Given or sampled from the DEM at the summit: the same height within a metre.
        assert!((p.elevation_msl - m.elevation_msl).abs() < 1.0, "{p:?} vs {m:?}");
        assert!((p.elevation_msl - c.elevation_msl).abs() < 1.0, "{p:?} vs {c:?}");
    }
    // Swapped coordinates ([lat, lon], a common mistake) put the first summit off the DEM: with
    // no elevation it is dropped, like an off-DEM CSV row; the file itself is valid.
    let m = &summits[1];
    let swapped = serde_json::json!({ "type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": { "name": m.name },
        "geometry": { "type": "Point", "coordinates": [m.lat, m.lon] } }] });
    std::fs::write(&path, swapped.to_string()).unwrap();
    assert!(read_poi_file(&path, dem).unwrap().is_empty());
    // A bad third feature: a typed error naming index 2, whatever the extension.
    let mut bad = doc;
    bad["features"][2]["geometry"]["coordinates"] = serde_json::json!([m.lon]);
    for name in ["bad.geojson", "bad.json"] {
        let p = tmp(name);
        std::fs::write(&p, bad.to_string()).unwrap();
        match read_poi_file(&p, dem) {
            Err(PackBuildError::PoiFeature { index: 2, .. }) => {}
            other => panic!("{name}: expected feature 2 refused, got {other:?}"),
        }
    }
    // A .geojson file that is not a FeatureCollection, and one that is not JSON.
    let p = tmp("list.geojson");
    std::fs::write(&p, r#"[{"name": "a", "lat": 1, "lon": 2}]"#).unwrap();
    assert!(matches!(read_poi_file(&p, dem), Err(PackBuildError::PoiGeoJson { .. })));
    std::fs::write(&p, "{\"type\": \"FeatureCollection\", \"features\": [").unwrap();
    assert!(matches!(read_poi_file(&p, dem), Err(PackBuildError::PoiFile { .. })));
}
