//! The writer never leaves a partial pack at the destination.

use lsar_pack::{DescriptorEncoding, HorizonSample, PackError, PackReader, PackWriter, ViewParams};

use crate::support::{metadata, small_pack_bytes, temp_dir};

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn started_writer(path: &std::path::Path) -> PackWriter {
    let mut w = PackWriter::create(path, metadata(DescriptorEncoding::F16, 4)).unwrap();
    let horizon = [HorizonSample { elevation_deg: 1.0, distance_m: 900.0 }; 4];
    w.add_viewpoint([0.0, 0.0, 1000.0], 950.0, &horizon).unwrap();
    let params = ViewParams {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        roll_deg: 0.0,
        hfov_deg: 60.0,
        width: 64,
        height: 48,
    };
    w.add_view(&params, &[], &[]).unwrap();
    w
}

#[test]
fn abandoned_writer_leaves_nothing() {
    let dir = temp_dir("abandoned");
    let path = dir.join("a.lsarpack");
    let mut w = started_writer(&path);
    // A bad input fails midway; the writer is then dropped without finish.
    let bad = w.add_viewpoint(
        [f64::NAN, 0.0, 0.0],
        0.0,
        &[HorizonSample { elevation_deg: 0.0, distance_m: 1.0 }; 4],
    );
    assert!(matches!(bad, Err(PackError::InvalidInput { .. })));
    assert!(!files_in(&dir).is_empty(), "temporary files live beside the destination");
    drop(w);
    assert!(files_in(&dir).is_empty(), "left behind: {:?}", files_in(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_rewrite_keeps_the_old_pack() {
    let dir = temp_dir("rewrite");
    let path = dir.join("r.lsarpack");
    let old = small_pack_bytes(DescriptorEncoding::F16);
    std::fs::write(&path, &old).unwrap();
    let w = started_writer(&path);
    drop(w);
    assert_eq!(std::fs::read(&path).unwrap(), old);
    // A crash (no destructor at all) leaves a temporary file, never a partial destination.
    let w = started_writer(&path);
    std::mem::forget(w);
    assert_eq!(std::fs::read(&path).unwrap(), old);
    PackReader::open(&path, None).unwrap().verify().unwrap();
    assert!(files_in(&dir).iter().all(|n| n == "r.lsarpack" || n.starts_with(".r.lsarpack.")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failing_rename_leaves_destination_untouched() {
    let dir = temp_dir("rename-fails");
    // The destination is a non-empty directory, so the final rename fails.
    let path = dir.join("d.lsarpack");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("keep"), b"x").unwrap();
    let w = started_writer(&path);
    assert!(matches!(w.finish(), Err(PackError::Io { .. })));
    assert_eq!(files_in(&dir), vec!["d.lsarpack".to_string()]);
    assert_eq!(files_in(&path), vec!["keep".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn finished_writer_replaces_the_old_pack() {
    let dir = temp_dir("replace");
    let path = dir.join("p.lsarpack");
    std::fs::write(&path, b"old contents").unwrap();
    let len = started_writer(&path).finish().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    let r = PackReader::open(&path, None).unwrap();
    r.verify().unwrap();
    assert_eq!((r.viewpoints().len(), r.views().len()), (1, 1));
    assert_eq!(files_in(&dir), vec!["p.lsarpack".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writer_rejects_bad_input() {
    let dir = temp_dir("bad-input");
    let path = dir.join("b.lsarpack");
    let mut w = PackWriter::create(&path, metadata(DescriptorEncoding::Int8, 2)).unwrap();
    let params = ViewParams {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        roll_deg: 0.0,
        hfov_deg: 60.0,
        width: 64,
        height: 48,
    };
    assert!(w.add_view(&params, &[], &[]).is_err(), "a view needs a viewpoint");
    let h = [HorizonSample { elevation_deg: 0.0, distance_m: 1.0 }; 2];
    assert!(w.add_viewpoint([0.0; 3], 0.0, &h[..1]).is_err(), "horizon length");
    w.add_viewpoint([0.0; 3], 0.0, &h).unwrap();
    let kp = lsar_pack::Keypoint {
        point_enu: [1.0; 3],
        view: 0,
        pixel: [1.0; 2],
        scale: 1.0,
        response: 0.0,
    };
    assert!(matches!(
        w.add_view(&params, &[kp], &[0.0; 127]),
        Err(PackError::DescriptorDim { .. })
    ));
    assert!(w.add_view(&params, &[kp], &[f32::NAN; 128]).is_err());
    assert!(w.add_poi("x", 91.0, 0.0, 1.0, 1.0).is_err());
    // After rejected input the writer still produces a valid pack.
    w.add_view(&params, &[kp], &[0.5; 128]).unwrap();
    w.finish().unwrap();
    let r = PackReader::open(&path, None).unwrap();
    r.verify().unwrap();
    assert_eq!(r.keypoints().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
