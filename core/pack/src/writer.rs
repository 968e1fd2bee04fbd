//! [`PackWriter`]: streams a pack into a temporary file beside the destination and renames it
//! into place on [`PackWriter::finish`], so the destination is either the old file (or absent)
//! or the complete new pack, never a partial one.
//!
//! Memory stays bounded by the small sections: descriptor rows go straight to the temporary
//! pack file, keypoints and int8 scales to temporary spill files that are copied in at the end;
//! viewpoints, views, POIs, strings and horizons are kept in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytemuck::Pod;
use crc32fast::Hasher;

use crate::atomic::{self, TempFile};
use crate::descriptors::{encode_f16, encode_i8};
use crate::error::{PackError, Result};
use crate::header::{self, HEADER_LEN, SECTION_ENTRY_LEN, align_up};
use crate::metadata::{DescriptorEncoding, Metadata};
use crate::records::{HorizonSample, Keypoint, Poi, View, Viewpoint};
use crate::sections::{SectionEntry, SectionKind};

/// Orientation, field of view and size of a rendered view, as given to [`PackWriter::add_view`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewParams {
    /// Yaw in degrees (clockwise from north).
    pub yaw_deg: f64,
    /// Pitch in degrees (up positive).
    pub pitch_deg: f64,
    /// Roll in degrees.
    pub roll_deg: f64,
    /// Horizontal field of view in degrees.
    pub hfov_deg: f64,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
}

/// A streamed section: its bytes so far go to a file, its CRC is kept running.
#[derive(Debug)]
struct Stream {
    crc: Hasher,
    len: u64,
    count: u64,
}

impl Stream {
    fn new() -> Self {
        Self { crc: Hasher::new(), len: 0, count: 0 }
    }
}

/// Writes one region pack. Create it, add viewpoints (each followed by its views with their
/// keypoints and descriptors) and POIs, then [`finish`](PackWriter::finish). Dropping it
/// without `finish` (or any error) removes the temporary files and leaves the destination as
/// it was. A process killed while writing leaves its temporary files (hidden, beside the
/// destination); the next writer of the same destination removes them when it is created,
/// unless another open writer still holds them.
#[derive(Debug)]
pub struct PackWriter {
    dest: PathBuf,
    meta: Metadata,
    main: TempFile,
    pos: u64,
    entries: Vec<SectionEntry>,
    descriptors: Stream,
    kp_spill: TempFile,
    keypoints: Stream,
    scale_spill: Option<TempFile>,
    scales: Stream,
    viewpoints: Vec<Viewpoint>,
    views: Vec<View>,
    pois: Vec<Poi>,
    strings: Vec<u8>,
    horizons: Vec<HorizonSample>,
    row_buf: Vec<u8>,
}

/// Name tags of the writer's temporary files (`.<dest name>.<tag>-<pid>-<n>`): the pack
/// itself, the keypoint spill and the int8 scale spill.
const TEMP_TAGS: [&str; 3] = ["tmp", "kp", "sc"];

fn section_count(encoding: DescriptorEncoding) -> u32 {
    match encoding {
        DescriptorEncoding::F16 => 9,
        DescriptorEncoding::Int8 => 10,
    }
}

fn to_u32(n: usize, what: &'static str) -> Result<u32> {
    u32::try_from(n).map_err(|_| PackError::InvalidInput { what })
}

impl PackWriter {
    /// Starts a pack that will be renamed to `dest` on [`finish`](PackWriter::finish).
    /// `metadata.origin_ecef` is recomputed from `metadata.origin`. Stale temporary files of
    /// `dest` left by killed writers are removed first (see the type's documentation).
    ///
    /// # Errors
    /// [`PackError::InvalidInput`] for bad metadata; I/O errors creating the temporary files.
    pub fn create(dest: impl AsRef<Path>, mut metadata: Metadata) -> Result<Self> {
        let dest = dest.as_ref().to_path_buf();
        metadata.validate()?;
        let e = metadata.origin.to_ecef();
        metadata.origin_ecef = [e.x, e.y, e.z];
        let n = section_count(metadata.descriptor_encoding);
        let table_end = HEADER_LEN + u64::from(n) * SECTION_ENTRY_LEN;
        let pos = align_up(table_end).unwrap_or(table_end);
        // Temporary files of earlier writers of this destination that were killed.
        atomic::remove_stale(&dest, &TEMP_TAGS);
        let mut main = TempFile::beside(&dest, "tmp")?;
        main.write_all(&vec![0u8; pos as usize])?;
        let kp_spill = TempFile::beside(&dest, "kp")?;
        let scale_spill = match metadata.descriptor_encoding {
            DescriptorEncoding::Int8 => Some(TempFile::beside(&dest, "sc")?),
            DescriptorEncoding::F16 => None,
        };
        Ok(Self {
            dest,
            meta: metadata,
            main,
            pos,
            entries: Vec::new(),
            descriptors: Stream::new(),
            kp_spill,
            keypoints: Stream::new(),
            scale_spill,
            scales: Stream::new(),
            viewpoints: Vec::new(),
            views: Vec::new(),
            pois: Vec::new(),
            strings: Vec::new(),
            horizons: Vec::new(),
            row_buf: Vec::new(),
        })
    }

    /// Adds a viewpoint: camera position in local ENU metres of the origin, ground height in
    /// metres above the ellipsoid, and its horizon (`metadata.horizon_bins` samples). Views
    /// added next belong to it. Returns its index.
    ///
    /// # Errors
    /// [`PackError::InvalidInput`] for non-finite values or a horizon of the wrong length.
    pub fn add_viewpoint(
        &mut self,
        position_enu: [f64; 3],
        ground_height: f64,
        horizon: &[HorizonSample],
    ) -> Result<u32> {
        if !(position_enu.iter().all(|v| v.is_finite()) && ground_height.is_finite()) {
            return Err(PackError::InvalidInput { what: "viewpoint position not finite" });
        }
        if horizon.len() != self.meta.horizon_bins as usize {
            return Err(PackError::InvalidInput {
                what: "horizon length differs from horizon_bins",
            });
        }
        if !horizon.iter().all(|s| s.elevation_deg.is_finite() && !s.distance_m.is_nan()) {
            return Err(PackError::InvalidInput { what: "horizon sample not a number" });
        }
        let index = to_u32(self.viewpoints.len(), "too many viewpoints")?;
        self.viewpoints.push(Viewpoint {
            position_enu,
            ground_height,
            first_view: to_u32(self.views.len(), "too many views")?,
            view_count: 0,
            first_keypoint: to_u32(self.keypoints.count as usize, "too many keypoints")?,
            keypoint_count: 0,
        });
        self.horizons.extend_from_slice(horizon);
        Ok(index)
    }

    /// Adds a view to the last viewpoint with its keypoints (their `view` field is set here)
    /// and descriptors (`keypoints.len() * descriptor_dim` values, row-major, quantised to the
    /// pack's encoding). Returns the view's global index.
    ///
    /// # Errors
    /// [`PackError::InvalidInput`] (no viewpoint yet, non-finite values, too many records),
    /// [`PackError::DescriptorDim`], I/O errors.
    pub fn add_view(
        &mut self,
        params: &ViewParams,
        keypoints: &[Keypoint],
        descriptors: &[f32],
    ) -> Result<u32> {
        let dim = self.meta.descriptor_dim as usize;
        let angles = [params.yaw_deg, params.pitch_deg, params.roll_deg, params.hfov_deg];
        if !angles.iter().all(|a| a.is_finite()) {
            return Err(PackError::InvalidInput { what: "view angles not finite" });
        }
        if descriptors.len() != keypoints.len().saturating_mul(dim) {
            let found = descriptors.len().checked_div(keypoints.len()).unwrap_or(descriptors.len());
            return Err(PackError::DescriptorDim { expected: dim, found });
        }
        if !descriptors.iter().all(|v| v.is_finite()) {
            return Err(PackError::InvalidInput { what: "descriptor value not finite" });
        }
        let kp_finite = |k: &Keypoint| {
            let v = [k.point_enu[0], k.point_enu[1], k.point_enu[2], k.pixel[0], k.pixel[1]];
            v.iter().chain(&[k.scale, k.response]).all(|x| x.is_finite())
        };
        if !keypoints.iter().all(kp_finite) {
            return Err(PackError::InvalidInput { what: "keypoint value not finite" });
        }
        let view_index = to_u32(self.views.len(), "too many views")?;
        let n = to_u32(keypoints.len(), "too many keypoints")?;
        let first = to_u32(self.keypoints.count as usize, "too many keypoints")?;
        first.checked_add(n).ok_or(PackError::InvalidInput { what: "too many keypoints" })?;
        if self.viewpoints.is_empty() {
            return Err(PackError::InvalidInput { what: "add_view before add_viewpoint" });
        }

        self.row_buf.clear();
        for k in keypoints {
            let rec = Keypoint { view: view_index, ..*k };
            self.row_buf.extend_from_slice(bytemuck::bytes_of(&rec));
        }
        write_stream(&mut self.kp_spill, &mut self.keypoints, &self.row_buf, u64::from(n))?;

        self.row_buf.clear();
        let mut scale_bytes = Vec::new();
        for row in descriptors.chunks_exact(dim.max(1)) {
            match self.meta.descriptor_encoding {
                DescriptorEncoding::F16 => encode_f16(row, &mut self.row_buf),
                DescriptorEncoding::Int8 => {
                    let s = encode_i8(row, &mut self.row_buf);
                    scale_bytes.extend_from_slice(&s.to_le_bytes());
                }
            }
        }
        write_stream(&mut self.main, &mut self.descriptors, &self.row_buf, u64::from(n))?;
        if let Some(spill) = self.scale_spill.as_mut() {
            write_stream(spill, &mut self.scales, &scale_bytes, u64::from(n))?;
        }
        if let Some(vp) = self.viewpoints.last_mut() {
            vp.view_count += 1;
            vp.keypoint_count += n;
        }
        self.views.push(View {
            yaw_deg: params.yaw_deg,
            pitch_deg: params.pitch_deg,
            roll_deg: params.roll_deg,
            hfov_deg: params.hfov_deg,
            width: params.width,
            height: params.height,
            first_keypoint: first,
            keypoint_count: n,
        });
        Ok(view_index)
    }

    /// Adds a POI; returns its index.
    ///
    /// # Errors
    /// [`PackError::InvalidInput`] for a bad position or elevation, or too many names.
    pub fn add_poi(
        &mut self,
        name: &str,
        lat: f64,
        lon: f64,
        elevation_msl: f32,
        prominence: f32,
    ) -> Result<u32> {
        let ok = lat.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && lon.is_finite()
            && elevation_msl.is_finite();
        if !ok {
            return Err(PackError::InvalidInput { what: "poi position or elevation" });
        }
        let name_offset = to_u32(self.strings.len(), "string section over 4 GiB")?;
        let name_len = to_u32(name.len(), "poi name too long")?;
        name_offset.checked_add(name_len).ok_or(PackError::InvalidInput { what: "strings" })?;
        self.strings.extend_from_slice(name.as_bytes());
        let index = to_u32(self.pois.len(), "too many pois")?;
        self.pois.push(Poi { lat, lon, elevation_msl, prominence, name_offset, name_len });
        Ok(index)
    }

    /// Writes the remaining sections, the table and the header, fsyncs, and renames the file
    /// to the destination (replacing any file there). Returns the pack's length in bytes.
    ///
    /// # Errors
    /// I/O errors; on error the destination is unchanged and the temporary files are removed.
    pub fn finish(mut self) -> Result<u64> {
        let desc_offset = align_up(
            HEADER_LEN
                + u64::from(section_count(self.meta.descriptor_encoding)) * SECTION_ENTRY_LEN,
        )
        .unwrap_or(0);
        self.entries.push(stream_entry(SectionKind::Descriptors, desc_offset, &self.descriptors));
        self.pos += self.descriptors.len;
        let kp = std::mem::replace(&mut self.keypoints, Stream::new());
        self.copy_spill(SectionKind::Keypoints, kp, false)?;
        if self.scale_spill.is_some() {
            let sc = std::mem::replace(&mut self.scales, Stream::new());
            self.copy_spill(SectionKind::DescriptorScales, sc, true)?;
        }
        let (json, region) = self.meta.encode()?;
        self.put(SectionKind::Metadata, &json, json.len() as u64)?;
        self.put_records(SectionKind::Region, &[region])?;
        let strings = std::mem::take(&mut self.strings);
        self.put(SectionKind::Strings, &strings, strings.len() as u64)?;
        let viewpoints = std::mem::take(&mut self.viewpoints);
        self.put_records(SectionKind::Viewpoints, &viewpoints)?;
        let views = std::mem::take(&mut self.views);
        self.put_records(SectionKind::Views, &views)?;
        let pois = std::mem::take(&mut self.pois);
        self.put_records(SectionKind::Pois, &pois)?;
        let horizons = std::mem::take(&mut self.horizons);
        self.put_records(SectionKind::Horizons, &horizons)?;
        self.pad()?;

        let table: Vec<u8> =
            self.entries.iter().flat_map(|e| bytemuck::bytes_of(e).to_vec()).collect();
        let count = to_u32(self.entries.len(), "sections")?;
        let head = header::encode(count, self.pos, header::crc32(&table));
        let file = self.main.rewind()?;
        file.write_all(&head).map_err(PackError::io("write the header"))?;
        file.write_all(&table).map_err(PackError::io("write the section table"))?;
        let file_len = self.pos;
        self.main.persist(&self.dest)?;
        Ok(file_len)
    }

    fn pad(&mut self) -> Result<()> {
        let aligned = align_up(self.pos).ok_or(PackError::InvalidInput { what: "file size" })?;
        let zeros = [0u8; 64];
        self.main.write_all(zeros.get(..(aligned - self.pos) as usize).unwrap_or_default())?;
        self.pos = aligned;
        Ok(())
    }

    fn put(&mut self, kind: SectionKind, bytes: &[u8], count: u64) -> Result<()> {
        self.pad()?;
        let len = bytes.len() as u64;
        let crc32 = header::crc32(bytes);
        self.entries.push(SectionEntry {
            kind: kind as u32,
            crc32,
            offset: self.pos,
            length: len,
            count,
        });
        self.main.write_all(bytes)?;
        self.pos += len;
        Ok(())
    }

    fn put_records<T: Pod>(&mut self, kind: SectionKind, records: &[T]) -> Result<()> {
        self.put(kind, bytemuck::cast_slice(records), records.len() as u64)
    }

    fn copy_spill(&mut self, kind: SectionKind, stream: Stream, scales: bool) -> Result<()> {
        self.pad()?;
        self.entries.push(stream_entry(kind, self.pos, &stream));
        let spill = if scales { self.scale_spill.as_mut() } else { Some(&mut self.kp_spill) };
        let spill = spill.ok_or(PackError::InvalidInput { what: "spill file" })?;
        let src = spill.rewind()?;
        let dst = self.main.writer()?;
        let copied = std::io::copy(src, dst).map_err(PackError::io("copy a spill file"))?;
        if copied != stream.len {
            return Err(PackError::LengthMismatch { expected: stream.len, actual: copied });
        }
        self.pos += stream.len;
        Ok(())
    }
}

fn stream_entry(kind: SectionKind, offset: u64, s: &Stream) -> SectionEntry {
    SectionEntry {
        kind: kind as u32,
        crc32: s.crc.clone().finalize(),
        offset,
        length: s.len,
        count: s.count,
    }
}

fn write_stream(file: &mut TempFile, s: &mut Stream, bytes: &[u8], count: u64) -> Result<()> {
    file.write_all(bytes)?;
    s.crc.update(bytes);
    s.len += bytes.len() as u64;
    s.count += count;
    Ok(())
}
