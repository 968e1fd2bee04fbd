//! POIs from a GeoJSON FeatureCollection of Point features (RFC 7946).
//!
//! Each feature is `{"type": "Feature", "geometry": {"type": "Point", "coordinates":
//! [lon, lat(, h)]}, "properties": {"name": ..., "elevation": ...}}`. RFC 7946 section 3.1.1
//! orders a position longitude first, and section 4 defines its optional third element as the
//! height above the WGS84 ellipsoid; a summit's elevation above sea level goes in the
//! properties (`elevation_msl`, `elevation` or `ele`), which take precedence. A height from
//! the coordinates is converted to sea level with the EGM96 geoid. `prominence` in the
//! properties is optional.
//!
//! Every problem is a [`PackBuildError::PoiFeature`] naming the feature's index: a file with one
//! bad feature is refused as a whole, so a typo never silently drops a summit.

use lsar_geometry::geodesy::egm96_undulation;
use serde_json::{Map, Value};

use super::error::{PackBuildError, Result};

/// A POI as read from GeoJSON: the elevation is above sea level when known.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoJsonPoi {
    /// `properties.name`.
    pub name: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Metres above sea level (EGM96) from the properties or the third coordinate.
    pub elevation_msl: Option<f64>,
    /// `properties.prominence`, metres; NaN when absent.
    pub prominence: f64,
}

/// True when `v` is a GeoJSON object (it has a string `type` of RFC 7946's object kinds).
pub fn is_geojson(v: &Value) -> bool {
    matches!(
        v.get("type").and_then(Value::as_str),
        Some(
            "FeatureCollection"
                | "Feature"
                | "Point"
                | "MultiPoint"
                | "LineString"
                | "MultiLineString"
                | "Polygon"
                | "MultiPolygon"
                | "GeometryCollection"
        )
    )
}

fn feature_err(index: usize, reason: &'static str) -> PackBuildError {
    PackBuildError::PoiFeature { index, reason }
}

/// A finite number, or a string holding one (some exporters quote numbers).
fn number(v: &Value) -> Option<f64> {
    let x = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
    x.is_finite().then_some(x)
}

/// An optional numeric property: absent or `null` is `None`, anything but a number an error.
fn optional_number(
    props: &Map<String, Value>,
    keys: &[&str],
    index: usize,
    reason: &'static str,
) -> Result<Option<f64>> {
    for key in keys {
        match props.get(*key) {
            None | Some(Value::Null) => {}
            Some(v) => return number(v).map(Some).ok_or_else(|| feature_err(index, reason)),
        }
    }
    Ok(None)
}

/// Parses a GeoJSON FeatureCollection of Point features.
///
/// # Errors
/// [`PackBuildError::PoiGeoJson`] when the document is not a FeatureCollection with a
/// `features` list, [`PackBuildError::PoiFeature`] for the first bad feature: not a Feature,
/// geometry missing or not a Point, fewer than two coordinates, a coordinate not a finite
/// number, latitude outside [-90, 90] or longitude outside [-180, 180], a missing or empty
/// name, or an elevation or prominence that is not a number.
pub fn parse_geojson_pois(doc: &Value) -> Result<Vec<GeoJsonPoi>> {
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(PackBuildError::PoiGeoJson {
            reason: "the top level is not a FeatureCollection",
        });
    }
    let features =
        doc.get("features").and_then(Value::as_array).ok_or(PackBuildError::PoiGeoJson {
            reason: "the FeatureCollection has no features list",
        })?;
    features.iter().enumerate().map(|(i, f)| parse_feature(i, f)).collect()
}

fn parse_feature(index: usize, feature: &Value) -> Result<GeoJsonPoi> {
    let err = |reason| feature_err(index, reason);
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(err("not a Feature object"));
    }
    let geometry = feature.get("geometry").filter(|g| !g.is_null());
    let geometry = geometry.ok_or_else(|| err("no geometry"))?;
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return Err(err("the geometry is not a Point"));
    }
    let coords = geometry.get("coordinates").and_then(Value::as_array);
    let coords = coords.ok_or_else(|| err("the Point has no coordinates list"))?;
    if coords.len() < 2 {
        return Err(err("a position needs longitude and latitude"));
    }
    let values: Option<Vec<f64>> = coords.iter().map(Value::as_f64).collect();
    let values = values.filter(|v| v.iter().all(|x| x.is_finite()));
    let values = values.ok_or_else(|| err("a coordinate is not a finite number"))?;
    let (lon, lat) = (values[0], values[1]);
    if !(-90.0..=90.0).contains(&lat) {
        return Err(err("latitude outside [-90, 90] (positions are [longitude, latitude])"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(err("longitude outside [-180, 180]"));
    }
    let empty = Map::new();
    let props = match feature.get("properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(err("properties is not an object")),
    };
    let name = props.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(err("no name in the properties"));
    }
    let keys = ["elevation_msl", "elevation", "ele"];
    let from_props = optional_number(props, &keys, index, "the elevation is not a number")?;
    let from_coords = values.get(2).map(|h| h - egm96_undulation(lat, lon));
    let prominence =
        optional_number(props, &["prominence"], index, "the prominence is not a number")?;
    Ok(GeoJsonPoi {
        name: name.to_string(),
        lat,
        lon,
        elevation_msl: from_props.or(from_coords),
        prominence: prominence.unwrap_or(f64::NAN),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use serde_json::json;

    use super::*;

    fn point(coords: Value, props: Value) -> Value {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": coords},
               "properties": props})
    }

    fn collection(features: Vec<Value>) -> Value {
        json!({"type": "FeatureCollection", "features": features})
    }

    /// The index and reason of a feature error, or a panic naming what came back.
    fn feature_error(doc: &Value) -> (usize, &'static str) {
        match parse_geojson_pois(doc) {
            Err(PackBuildError::PoiFeature { index, reason }) => (index, reason),
            other => panic!("expected a feature error, got {other:?}"),
        }
    }

    #[test]
    fn reads_lon_lat_order_and_elevations() {
        // Mont Ventoux, 1909 m; EGM96 N there is about +49.6 m, so an ellipsoidal height of
        // 1958.6 m is about 1909 m above sea level.
        let n = egm96_undulation(44.1739, 5.2787);
        assert!((n - 49.6).abs() < 1.5, "N = {n}");
        let doc = collection(vec![
            point(json!([5.2787, 44.1739]), json!({"name": "Mont Ventoux", "elevation": 1909})),
            point(json!([5.2787, 44.1739, 1909.0 + n]), json!({"name": "from h"})),
            point(json!([5.2787, 44.1739, 5000.0]), json!({"name": "both", "ele": "1909"})),
            point(json!([6.0, 45.0]), json!({"name": " no ele ", "prominence": 320.5})),
        ]);
        let pois = parse_geojson_pois(&doc).unwrap();
        assert_eq!(pois.len(), 4);
        assert_eq!((pois[0].lat, pois[0].lon), (44.1739, 5.2787));
        assert_eq!(pois[0].elevation_msl, Some(1909.0));
        assert!((pois[1].elevation_msl.unwrap() - 1909.0).abs() < 1e-9);
        assert_eq!(pois[2].elevation_msl, Some(1909.0), "properties win over coordinates");
        assert!(pois[0].prominence.is_nan());
        assert_eq!(pois[3].name, "no ele");
        assert_eq!(pois[3].elevation_msl, None);
        assert_eq!(pois[3].prominence, 320.5);
        assert!(parse_geojson_pois(&collection(vec![])).unwrap().is_empty());
    }

    #[test]
    fn bad_features_name_their_index() {
        let good = point(json!([5.0, 44.0]), json!({"name": "ok"}));
        let cases: Vec<(Value, &str)> = vec![
            (json!({"type": "Point", "coordinates": [5.0, 44.0]}), "not a Feature object"),
            (
                json!({"type": "Feature", "geometry": null, "properties": {"name": "x"}}),
                "no geometry",
            ),
            (
                json!({"type": "Feature", "properties": {"name": "x"},
                       "geometry": {"type": "LineString", "coordinates": [[5.0, 44.0], [5.1, 44.1]]}}),
                "the geometry is not a Point",
            ),
            (point(json!("5, 44"), json!({"name": "x"})), "the Point has no coordinates list"),
            (point(json!([5.0]), json!({"name": "x"})), "a position needs longitude and latitude"),
            (
                point(json!([5.0, "44"]), json!({"name": "x"})),
                "a coordinate is not a finite number",
            ),
            (point(json!([44.0, 95.0]), json!({"name": "x"})), "latitude outside"),
            (point(json!([190.0, 44.0]), json!({"name": "x"})), "longitude outside"),
            (point(json!([5.0, 44.0]), json!({"title": "x"})), "no name in the properties"),
            (point(json!([5.0, 44.0]), json!({"name": ""})), "no name in the properties"),
            (point(json!([5.0, 44.0]), json!(null)), "no name in the properties"),
            (point(json!([5.0, 44.0]), json!([1, 2])), "properties is not an object"),
            (point(json!([5.0, 44.0]), json!({"name": "x", "elevation": "high"})), "the elevation"),
            (point(json!([5.0, 44.0]), json!({"name": "x", "prominence": true})), "the prominence"),
        ];
        for (bad, want) in cases {
            let doc = collection(vec![good.clone(), good.clone(), bad.clone()]);
            let (index, reason) = feature_error(&doc);
            assert_eq!(index, 2, "{bad}");
            assert!(reason.starts_with(want), "{bad}: {reason}");
            let message = PackBuildError::PoiFeature { index, reason }.to_string();
            assert!(message.contains("feature 2"), "{message}");
        }
    }

    #[test]
    fn not_a_feature_collection() {
        for doc in [
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.0, 44.0]}}),
            json!({"type": "FeatureCollection"}),
            json!({"type": "FeatureCollection", "features": {"0": 1}}),
            json!([1, 2]),
        ] {
            let got = parse_geojson_pois(&doc);
            assert!(matches!(got, Err(PackBuildError::PoiGeoJson { .. })), "{doc}: {got:?}");
        }
        assert!(is_geojson(&json!({"type": "Feature"})));
        assert!(!is_geojson(&json!({"summits": []})));
        assert!(!is_geojson(&json!({"type": "summit list"})));
    }
}
