//! `lsar pack`: build, inspect and verify region packs.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use lsar_pack::{PackReader, kind_name};
use serde_json::{Value, json};

pub(super) mod build;

use build::BuildArgs;

/// `lsar pack` subcommands.
#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Build a region pack from DEMs: viewpoints on a grid, rendered panoramas, keypoints with
    /// 3D points and descriptors, horizon profiles and POIs.
    Build(Box<BuildArgs>),
    /// Print a pack's metadata, record counts and section sizes as JSON.
    Info {
        /// The pack file.
        file: PathBuf,
    },
    /// Check every checksum, padding byte and cross-reference; exit code 0 only if all pass.
    Verify {
        /// The pack file.
        file: PathBuf,
    },
}

/// Runs an `lsar pack` subcommand.
pub fn run(cmd: PackCommand) -> anyhow::Result<()> {
    match cmd {
        PackCommand::Build(args) => build::run(&args),
        PackCommand::Info { file } => {
            let pack = PackReader::open(&file, None)
                .with_context(|| format!("cannot open {}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&info_json(&pack))?);
            Ok(())
        }
        PackCommand::Verify { file } => {
            let result = PackReader::open(&file, None).and_then(|p| p.verify());
            match result {
                Ok(report) => {
                    let out =
                        json!({ "ok": true, "sections": report.sections, "bytes": report.bytes });
                    println!("{}", serde_json::to_string_pretty(&out)?);
                    Ok(())
                }
                Err(err) => {
                    let out = json!({ "ok": false, "error": err.to_string() });
                    println!("{}", serde_json::to_string_pretty(&out)?);
                    Err(err).with_context(|| format!("{} failed verification", file.display()))
                }
            }
        }
    }
}

/// Metadata, counts and sections of an open pack.
fn info_json(pack: &PackReader) -> Value {
    let m = pack.metadata();
    let h = pack.header();
    let sections: Vec<Value> = pack
        .sections()
        .iter()
        .map(|e| {
            json!({
                "name": kind_name(e.kind), "kind": e.kind, "offset": e.offset,
                "length": e.length, "count": e.count, "crc32": format!("{:08x}", e.crc32),
            })
        })
        .collect();
    json!({
        "format_version": format!("{}.{}", h.major, h.minor),
        "file_len": pack.file_len(),
        "name": m.name,
        "bounds": m.bounds,
        "origin": m.origin,
        "origin_ecef": m.origin_ecef,
        "descriptor": {
            "model_id": m.model.id,
            "sha256": m.model.sha256_hex(),
            "dim": m.descriptor_dim,
            "encoding": m.descriptor_encoding,
        },
        "horizon_bins": m.horizon_bins,
        "build": m.build,
        "created_unix_s": m.created_unix_s,
        "tool_version": m.tool_version,
        "counts": {
            "viewpoints": pack.viewpoints().len(),
            "views": pack.views().len(),
            "keypoints": pack.keypoints().len(),
            "descriptors": pack.descriptors().len(),
            "pois": pack.pois().len(),
            "horizon_samples": pack.horizon_samples().len(),
        },
        "sections": sections,
    })
}
