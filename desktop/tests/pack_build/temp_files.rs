//! A killed `lsar pack build` leaves its hidden temporary files beside the destination; the
//! next build of the same destination removes them and nothing else.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_build_removes_a_killed_builds_temporary_files() {
    let s = scene();
    let dir = tmp("killed-build");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tif = dir.join("terrain.tif");
    write_geotiff(&tif, &s.terrain.grid).unwrap();
    let out = dir.join("region.lsarpack");
    // Files the sweep must leave alone: another destination's temporary file, names that only
    // resemble the pattern, and a directory with a matching name.
    let unrelated = [
        ".other.lsarpack.tmp-1-0",
        ".region.lsarpack.tmp-1-0.bak",
        "region.lsarpack.tmp-1-0",
        ".region.lsarpack.tmp-x-0",
        ".region.lsarpack.notes",
    ];
    for name in unrelated {
        std::fs::write(dir.join(name), name).unwrap();
    }
    std::fs::create_dir(dir.join(".region.lsarpack.kp-2-0")).unwrap();

    // A real build, killed (SIGKILL on Unix: no destructor runs) once its temporary files
    // exist. `PackWriter::create` makes the pack file and then the keypoint spill, so the
    // kill waits for both (killing on the first alone loses a race with the second).
    let (lat, lon) = (s.bounds.south + s.bounds.north, s.bounds.west + s.bounds.east);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lsar"))
        .args(["pack", "build", "--profile", "tiny", "--radius", "3", "--center"])
        .args([format!("{}", lat / 2.0), format!("{}", lon / 2.0)])
        .arg("--dem")
        .arg(&tif)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let prefixes = [
        format!(".region.lsarpack.tmp-{}-", child.id()),
        format!(".region.lsarpack.kp-{}-", child.id()),
    ];
    let t0 = Instant::now();
    while !prefixes.iter().all(|p| names_in(&dir).iter().any(|n| n.starts_with(p))) {
        assert!(child.try_wait().unwrap().is_none(), "the build ended before it was killed");
        assert!(t0.elapsed() < Duration::from_secs(120), "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let stale: Vec<String> =
        names_in(&dir).into_iter().filter(|n| prefixes.iter().any(|p| n.starts_with(p))).collect();
    assert_eq!(stale.len(), 2, "the killed build's pack and keypoint spill: {stale:?}");
    assert!(!out.exists(), "a killed build never leaves a destination");

    // The next build of the same destination removes them.
    let describer = Describer::load(&DescriptorChoice::Sift, None).unwrap();
    let mut cfg = tiny("after a killed build");
    cfg.max_viewpoints = Some(1);
    build_pack(&s.model, &describer, &[], &cfg, &out, &ProgressBar::hidden()).unwrap();
    PackReader::open(&out, None).unwrap().verify().unwrap();
    let mut want: Vec<String> = unrelated.iter().map(|n| n.to_string()).collect();
    want.extend([".region.lsarpack.kp-2-0".into(), "region.lsarpack".into(), "terrain.tif".into()]);
    want.sort();
    assert_eq!(names_in(&dir), want);
    for name in unrelated {
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), name);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
