//! `lsar pose solve`: camera pose (and focal length) from a CSV of 2D-3D correspondences,
//! printed as the camera JSON of DESIGN.md with `"frame": "input"`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use clap::{Args, Subcommand};
use lsar_geometry::absolute_pose::{AbsolutePoseEstimate, AbsolutePoseOptions, FocalMode};
use lsar_geometry::camera_json::JsonFrame;
use lsar_geometry::{Camera, CameraJson, CameraPose, estimate_absolute_pose};
use nalgebra::{Point3, Vector2};
use serde::Serialize;

/// `lsar pose` subcommands.
#[derive(Debug, Subcommand)]
pub enum PoseCommand {
    /// Estimate the camera from correspondences: P4Pf (or P3P with --focal) in LO-RANSAC,
    /// then Levenberg-Marquardt on the inliers.
    Solve(SolveArgs),
}

/// Arguments of `lsar pose solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// CSV with the header `x,y,X,Y,Z`: pixel (x right, y down, (0,0) the centre of the
    /// top-left pixel) and world point in any right-handed Cartesian metric frame.
    #[arg(long)]
    pub input: PathBuf,
    /// Image width and height in pixels (the principal point is the image centre).
    #[arg(long, num_args = 2, value_names = ["W", "H"])]
    pub image_size: Vec<u32>,
    /// Known focal length in pixels (then only the pose is estimated).
    #[arg(long)]
    pub focal: Option<f64>,
    /// Inlier threshold on the reprojection error, pixels.
    #[arg(long, default_value_t = 4.0)]
    pub threshold: f64,
    /// RANSAC seed (equal seeds give equal results).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The printed result: the camera JSON plus the solver's keys.
#[derive(Debug, Serialize)]
struct SolveOutput {
    #[serde(flatten)]
    camera: CameraJson,
    num_inliers: usize,
    inlier_mask: Vec<bool>,
    reprojection_rmse_px: f64,
    solver: String,
    ransac_iterations: u64,
    time_ms: f64,
}

/// Runs an `lsar pose` subcommand.
pub fn run(cmd: PoseCommand) -> anyhow::Result<()> {
    match cmd {
        PoseCommand::Solve(args) => {
            let out = solve(&args)?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
    }
}

fn solve(args: &SolveArgs) -> anyhow::Result<SolveOutput> {
    let [width, height] = args.image_size[..] else { bail!("--image-size takes W H") };
    ensure!(width > 0 && height > 0, "--image-size must be positive");
    let (points_2d, points_3d) = read_correspondences(&args.input)?;
    let mut options = AbsolutePoseOptions { threshold_px: args.threshold, ..Default::default() };
    options.ransac.seed = args.seed;
    let camera = match args.focal {
        Some(f) => {
            ensure!(f.is_finite() && f > 0.0, "--focal must be a positive number of pixels");
            options.focal = FocalMode::Known;
            Camera::new(width, height, f)
        }
        None => Camera::new(width, height, f64::from(width.max(height))),
    };
    let est = estimate_absolute_pose(&points_2d, &points_3d, &camera, &options)
        .context("pose estimation failed")?;
    Ok(output(&est))
}

fn output(est: &AbsolutePoseEstimate) -> SolveOutput {
    let pose = CameraPose::new(est.cam_from_world);
    SolveOutput {
        camera: CameraJson::from_parts(&est.camera, &pose, JsonFrame::Input),
        num_inliers: est.num_inliers,
        inlier_mask: est.inlier_mask.clone(),
        reprojection_rmse_px: est.rmse_px,
        solver: format!("{:?}", est.solver),
        ransac_iterations: est.ransac.iterations,
        time_ms: est.time.as_secs_f64() * 1e3,
    }
}

/// Pixels and world points, row by row.
type Correspondences = (Vec<Vector2<f64>>, Vec<Point3<f64>>);

/// Reads `x,y,X,Y,Z` rows (columns in any order, named by the header). Blank lines are
/// allowed; any other malformed line is an error naming its line number.
fn read_correspondences(path: &Path) -> anyhow::Result<Correspondences> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_correspondences(&text)
}

fn parse_correspondences(text: &str) -> anyhow::Result<Correspondences> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else { bail!("empty CSV: expected the header x,y,X,Y,Z") };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let mut col = [0usize; 5];
    for (slot, want) in col.iter_mut().zip(["x", "y", "X", "Y", "Z"]) {
        *slot = names.iter().position(|n| *n == want).with_context(|| {
            format!("line 1: header has no column `{want}` (expected x,y,X,Y,Z)")
        })?;
    }
    ensure!(names.len() == 5, "line 1: expected the 5 columns x,y,X,Y,Z, got {}", names.len());
    let (mut p2, mut p3) = (Vec::new(), Vec::new());
    for (i, line) in lines {
        let lineno = i + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        ensure!(fields.len() == 5, "line {lineno}: expected 5 fields, got {}", fields.len());
        let mut v = [0.0; 5];
        for (k, (&c, name)) in col.iter().zip(["x", "y", "X", "Y", "Z"]).enumerate() {
            let parsed: f64 = fields[c]
                .parse()
                .with_context(|| format!("line {lineno}: field `{name}` is not a number"))?;
            ensure!(parsed.is_finite(), "line {lineno}: field `{name}` is not finite");
            v[k] = parsed;
        }
        p2.push(Vector2::new(v[0], v[1]));
        p3.push(Point3::new(v[2], v[3], v[4]));
    }
    Ok((p2, p3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsar_geometry::absolute_pose::synth::{self, ProblemSpec, Scene};

    #[test]
    fn parses_and_names_bad_lines() {
        let (a, b) = parse_correspondences("x,y,X,Y,Z\n1,2,3,4,5\n\n6, 7 ,8,9,10\n").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(b[1], Point3::new(8.0, 9.0, 10.0));
        let (a, b) = parse_correspondences("X,Y,Z,x,y\n3,4,5,1,2\n").unwrap();
        assert_eq!((a[0], b[0]), (Vector2::new(1.0, 2.0), Point3::new(3.0, 4.0, 5.0)));
        let e = parse_correspondences("x,y,X,Y,Z\n1,2,3,4,5\n1,2,3,4\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = parse_correspondences("x,y,X,Y,Z\n1,2,3,nan,5\n").unwrap_err();
        assert!(e.to_string().contains("line 2") && e.to_string().contains("`Y`"), "{e}");
        let e = parse_correspondences("x,y,X,Y,Z\n1,2,3,abc,5\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(parse_correspondences("a,b,c\n").is_err());
        assert!(parse_correspondences("").is_err());
    }

    #[test]
    fn solves_a_synthetic_csv() {
        let spec = ProblemSpec {
            outlier_ratio: 0.5,
            noise_px: 0.5,
            world_offset: 6.4e6,
            ..ProblemSpec::exact(Scene::Terrain, 300)
        };
        let p = synth::generate(&spec, &mut synth::rng(3));
        let mut csv = String::from("x,y,X,Y,Z\n");
        for (x, w) in p.points_2d.iter().zip(&p.points_3d) {
            csv.push_str(&format!("{},{},{},{},{}\n", x.x, x.y, w.x, w.y, w.z));
        }
        let path = std::env::temp_dir().join(format!("lsar_pose_cli_{}.csv", std::process::id()));
        std::fs::write(&path, csv).unwrap();
        let args = SolveArgs {
            input: path.clone(),
            image_size: vec![1920, 1080],
            focal: None,
            threshold: 4.0,
            seed: 1,
        };
        let out = solve(&args).unwrap();
        std::fs::remove_file(&path).ok();
        assert!((out.camera.focal_px - p.camera.focal_px).abs() < 1e-3 * p.camera.focal_px);
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["frame"], "input");
        assert!(json["position"].is_null() && json.get("yaw_deg").is_none_or(|v| v.is_null()));
        assert_eq!(json["inlier_mask"].as_array().unwrap().len(), 300);
        assert!(json["reprojection_rmse_px"].as_f64().unwrap() < 2.0);
        let c = &json["camera_center"];
        let truth = p.pose.center();
        assert!((c[0].as_f64().unwrap() - truth.x).abs() < 50.0);
    }
}
