//! Every field written comes back; descriptors within their quantisation error.

use lsar_pack::{DescriptorEncoding, Descriptors, PackReader};

use crate::support::{Synthetic, model, synthetic, temp_dir, write};

fn check_equal(s: &Synthetic, r: &PackReader, enc: DescriptorEncoding) {
    assert_eq!(r.metadata(), &s.meta);
    assert_eq!(r.metadata().origin_ecef, {
        let e = s.meta.origin.to_ecef();
        [e.x, e.y, e.z]
    });
    let n_views: usize = s.viewpoints.iter().map(|v| v.views.len()).sum();
    let n_kps: usize = s.viewpoints.iter().flat_map(|v| &v.views).map(|v| v.keypoints.len()).sum();
    assert_eq!(r.viewpoints().len(), s.viewpoints.len());
    assert_eq!(r.views().len(), n_views);
    assert_eq!(r.keypoints().len(), n_kps);
    let desc = r.descriptors();
    assert_eq!((desc.len(), desc.dim()), (n_kps, 128));
    let mut global_view = 0usize;
    let mut row = vec![0.0f32; 128];
    for (i, vp_in) in s.viewpoints.iter().enumerate() {
        let vp = r.viewpoint(i).unwrap();
        assert_eq!(vp.position_enu, vp_in.position_enu);
        assert_eq!(vp.ground_height, vp_in.ground_height);
        assert_eq!(r.horizon(i).unwrap(), &vp_in.horizon[..]);
        let views = r.viewpoint_views(i).unwrap();
        assert_eq!(views.len(), vp_in.views.len());
        for (view, v_in) in views.iter().zip(&vp_in.views) {
            let p = v_in.params;
            assert_eq!(
                (
                    view.yaw_deg,
                    view.pitch_deg,
                    view.roll_deg,
                    view.hfov_deg,
                    view.width,
                    view.height
                ),
                (p.yaw_deg, p.pitch_deg, p.roll_deg, p.hfov_deg, p.width, p.height)
            );
            let kps = r.view_keypoints(global_view).unwrap();
            assert_eq!(kps.len(), v_in.keypoints.len());
            for (k, (kp, kp_in)) in kps.iter().zip(&v_in.keypoints).enumerate() {
                assert_eq!(kp.view as usize, global_view);
                assert_eq!(
                    (kp.point_enu, kp.pixel, kp.scale, kp.response),
                    (kp_in.point_enu, kp_in.pixel, kp_in.scale, kp_in.response)
                );
                let row_index = view.first_keypoint as usize + k;
                desc.row_into(row_index, &mut row).unwrap();
                let want = &v_in.descriptors[k * 128..(k + 1) * 128];
                let tol = match (enc, desc) {
                    (DescriptorEncoding::Int8, Descriptors::Int8 { scales, .. }) => {
                        scales[row_index] * 0.5 + 1e-7
                    }
                    (DescriptorEncoding::F16, Descriptors::F16 { .. }) => 0.0,
                    _ => panic!("descriptor view has the wrong encoding"),
                };
                for (got, want) in row.iter().zip(want) {
                    let tol = if tol == 0.0 { want.abs() * 4.9e-4 + 6e-8 } else { tol };
                    assert!((got - want).abs() <= tol, "{got} vs {want}");
                }
            }
            global_view += 1;
        }
    }
    assert_eq!(r.pois().len(), s.pois.len());
    for (p, p_in) in r.pois().iter().zip(&s.pois) {
        assert_eq!(r.poi_name(p).unwrap(), p_in.name);
        assert_eq!((p.lat, p.lon, p.elevation_msl), (p_in.lat, p_in.lon, p_in.elevation_msl));
        assert!(
            p.prominence == p_in.prominence || (p.prominence.is_nan() && p_in.prominence.is_nan())
        );
    }
}

#[test]
fn round_trip_f16_and_int8_mapped_and_owned() {
    for enc in [DescriptorEncoding::F16, DescriptorEncoding::Int8] {
        let dir = temp_dir(&format!("roundtrip-{enc:?}"));
        let path = dir.join("region.lsarpack");
        let s = synthetic(42, 25, 6, 40, enc);
        let len = write(&s, &path);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
        assert_eq!(len % 64, 0);
        let mapped = PackReader::open(&path, Some(&model())).unwrap();
        assert!(mapped.is_mapped());
        check_equal(&s, &mapped, enc);
        let report = mapped.verify().unwrap();
        assert_eq!(report.bytes, len);
        let bytes = std::fs::read(&path).unwrap();
        let owned = PackReader::from_bytes(&bytes, None).unwrap();
        assert!(!owned.is_mapped());
        check_equal(&s, &owned, enc);
        owned.verify().unwrap();
        // Every section starts on a 64-byte boundary.
        assert!(owned.sections().iter().all(|e| e.offset % 64 == 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn empty_pack_round_trips() {
    let dir = temp_dir("empty");
    let path = dir.join("empty.lsarpack");
    let s = synthetic(1, 0, 0, 0, DescriptorEncoding::F16);
    write(&s, &path);
    let r = PackReader::open(&path, None).unwrap();
    check_equal(&s, &r, DescriptorEncoding::F16);
    r.verify().unwrap();
    let mut out = vec![1];
    r.viewpoints_within([0.0, 0.0], 1e6, &mut out);
    assert!(out.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn geodetic_query_matches_enu_query() {
    let dir = temp_dir("geodetic-query");
    let path = dir.join("q.lsarpack");
    let s = synthetic(3, 60, 1, 1, DescriptorEncoding::F16);
    write(&s, &path);
    let r = PackReader::open(&path, None).unwrap();
    let frame = r.local_frame();
    let p = frame.geodetic_from_enu(&nalgebra::Vector3::new(1500.0, -700.0, 1200.0));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    r.viewpoints_near(&p, 4000.0, &mut a);
    r.viewpoints_within([1500.0, -700.0], 4000.0, &mut b);
    assert_eq!(a, b);
    assert!(!a.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
