//! JNI fast path for Android camera frames (`jni` feature): the Java class
//! `org.lsar.FrameJni` (android/src/main/java/org/lsar/FrameJni.java) passes a direct
//! `java.nio.ByteBuffer` that Rust reads in place (no copy, no JNA marshalling), for
//! per-frame work that must stay cheap (camera preview at 30 fps).
//!
//! Localizers opened here live in a registry keyed by a `long` handle: a stale or repeated
//! handle is an error, never a dangling pointer. Errors and panics become Java
//! `RuntimeException`s (jni's `ThrowRuntimeExAndDefault`); none crosses the boundary.
//!
//! Format codes (`FrameJni.RGBA` ...): 0 RGBA, 1 BGRA, 2 RGB, 3 GREY, 4 NV21, 5 NV12 (one
//! buffer), 6 YUV_420_888 (three planes, `nativeLocalizeYuv`); rotation in degrees clockwise
//! (0, 90, 180, 270). A buffer is read from its first byte to its capacity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JByteBuffer, JClass, JDoubleArray, JFloatArray, JString};
use jni::sys::{jdouble, jint, jlong};

use crate::error::{ApiError, outcome};
use crate::frame::{FrameInfo, PixelFormat, Planes, Rotation, image_from_frame};
use crate::localizer::ModelSource;

/// Errors of a native method: JNI's own, or the SDK's.
#[derive(Debug, thiserror::Error)]
enum Fail {
    #[error(transparent)]
    Jni(#[from] jni::errors::Error),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// `FrameJni.YUV_420_888`: three planes (`nativeLocalizeYuv`).
const YUV_420_888: jint = 6;

type Registry = Mutex<HashMap<jlong, Arc<lsar_core::Localizer>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// A frame's layout from the Java arguments (`uv` = chroma row and pixel strides, 0 for
/// formats without separate chroma planes).
fn frame_info(
    (width, height, format, rotation, row_stride): (jint, jint, jint, jint, jint),
    (uv_row_stride, uv_pixel_stride): (jint, jint),
) -> Result<FrameInfo, ApiError> {
    let format = match format {
        0 => PixelFormat::Rgba,
        1 => PixelFormat::Bgra,
        2 => PixelFormat::Rgb,
        3 => PixelFormat::Grey,
        4 => PixelFormat::Nv21,
        5 => PixelFormat::Nv12,
        6 => PixelFormat::Yuv420888,
        _ => return Err(ApiError::input("unknown pixel format code")),
    };
    let rotation = match rotation {
        0 => Rotation::Deg0,
        90 => Rotation::Deg90,
        180 => Rotation::Deg180,
        270 => Rotation::Deg270,
        _ => return Err(ApiError::input("rotation must be 0, 90, 180 or 270")),
    };
    let dim =
        |v: jint| u32::try_from(v).map_err(|_| ApiError::input("negative frame size or stride"));
    Ok(FrameInfo {
        width: dim(width)?,
        height: dim(height)?,
        format,
        rotation,
        row_stride: dim(row_stride)?,
        uv_row_stride: dim(uv_row_stride)?,
        uv_pixel_stride: dim(uv_pixel_stride)?,
    })
}

/// Runs `f` on the bytes of a direct buffer, in place.
fn with_direct_bytes<T>(
    env: &jni::Env<'_>,
    buffer: &JByteBuffer<'_>,
    f: impl FnOnce(&[u8]) -> Result<T, Fail>,
) -> Result<T, Fail> {
    let ptr = env.get_direct_buffer_address(buffer)?;
    let len = env.get_direct_buffer_capacity(buffer)?;
    if ptr.is_null() {
        return Err(ApiError::input("not a direct ByteBuffer").into());
    }
    // SAFETY: `ptr` and `len` describe the memory of a direct ByteBuffer (checked non-null
    // above); the local reference `buffer` keeps it alive for this native call, and the slice
    // does not outlive `f`. Java may write to the buffer concurrently (a contract violation
    // of the caller); the bytes are plain `u8`, so that gives wrong pixels, not UB in Rust's
    // type sense beyond the data race the JNI contract already forbids.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast_const(), len) };
    f(bytes)
}

/// `static native float[] nativeToImage(ByteBuffer frame, int width, int height, int format,
/// int rotation, int rowStride)`: the upright image the localizer sees, row-major, RGB
/// interleaved (grey for GREY), values in [0, 1].
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_lsar_FrameJni_nativeToImage<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    frame: JByteBuffer<'caller>,
    width: jint,
    height: jint,
    format: jint,
    rotation: jint,
    row_stride: jint,
) -> JFloatArray<'caller> {
    unowned_env
        .with_env(|env| -> Result<_, Fail> {
            let info = frame_info((width, height, format, rotation, row_stride), (0, 0))?;
            let image = with_direct_bytes(env, &frame, |b| {
                Ok(image_from_frame(Planes::Packed(b), &info)?)
            })?;
            let out = env.new_float_array(image.data().len())?;
            out.set_region(env, 0, image.data())?;
            Ok(out)
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native long nativeOpen(String packPath, String modelPath)`: a localizer over one
/// pack; `modelPath` null means the SIFT baseline, otherwise the learned network's safetensors
/// file (the model the pack was built with). Returns its handle (> 0).
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_lsar_FrameJni_nativeOpen<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    pack_path: JString<'caller>,
    model_path: JString<'caller>,
) -> jlong {
    open(&mut unowned_env, &pack_path, Some(&model_path))
}

/// `static native long nativeOpenSift(String packPath)`: `nativeOpen(packPath, null)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_lsar_FrameJni_nativeOpenSift<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    pack_path: JString<'caller>,
) -> jlong {
    open(&mut unowned_env, &pack_path, None)
}

/// Opens a localizer and registers it. The model goes through UniFFI's [`ModelSource`]
/// conversion, so both APIs report an unreadable weights file the same way
/// ([`ApiError::ModelMismatch`], no path in the message).
fn open<'caller>(
    unowned_env: &mut EnvUnowned<'caller>,
    pack_path: &JString<'caller>,
    model_path: Option<&JString<'caller>>,
) -> jlong {
    unowned_env
        .with_env(|env| -> Result<_, Fail> {
            let path = pack_path.try_to_string(env)?;
            let source = match model_path {
                Some(m) if !m.is_null() => ModelSource::LearnedFile { path: m.try_to_string(env)? },
                _ => ModelSource::Sift,
            };
            let model = lsar_core::DescriptorModel::try_from(source)?;
            let loc = lsar_core::Localizer::open_paths(&[path], model).map_err(ApiError::from)?;
            let mut map = registry()
                .lock()
                .map_err(|_| ApiError::Internal { detail: "registry poisoned".into() })?;
            // Never reused: a stale handle cannot reach a newer localizer.
            static NEXT: AtomicI64 = AtomicI64::new(1);
            let handle = NEXT.fetch_add(1, Ordering::Relaxed);
            map.insert(handle, Arc::new(loc));
            Ok(handle)
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native void nativeClose(long handle)`: forgets a localizer (a no-op for an
/// unknown handle).
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_lsar_FrameJni_nativeClose<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    handle: jlong,
) {
    unowned_env
        .with_env(|_env| -> Result<_, Fail> {
            if let Ok(mut map) = registry().lock() {
                map.remove(&handle);
            }
            Ok(())
        })
        .resolve::<ThrowRuntimeExAndDefault>();
}

/// The localizer behind a handle.
fn localizer(handle: jlong) -> Result<Arc<lsar_core::Localizer>, ApiError> {
    registry()
        .lock()
        .map_err(|_| ApiError::Internal { detail: "registry poisoned".into() })?
        .get(&handle)
        .cloned()
        .ok_or_else(|| ApiError::input("unknown or closed localizer handle"))
}

/// The arguments of `nativeLocalize` on the Rust side: the localizer, the frame's bytes (in
/// place) and layout, the GPS prior.
struct LocalizeArgs<'a> {
    localizer: &'a lsar_core::Localizer,
    planes: Planes<'a>,
    info: FrameInfo,
    priors: &'a lsar_core::Priors,
}

/// The direct buffers of a frame: one, or the three planes of a `YUV_420_888` image.
enum Buffers<'a, 'caller> {
    Packed(&'a JByteBuffer<'caller>),
    Yuv([&'a JByteBuffer<'caller>; 3]),
}

/// Everything of a `nativeLocalize`-shaped call but the work: resolves the handle, reads the
/// direct buffers in place, builds the priors, runs `work` and returns its 9 values as a Java
/// `double[]`. The test hook `FrameJniHooks.nativeCross` shares it, so the overhead benchmark
/// times exactly this crossing.
fn localize_call<'caller>(
    unowned_env: &mut EnvUnowned<'caller>,
    handle: jlong,
    buffers: Buffers<'_, 'caller>,
    info: Result<FrameInfo, ApiError>,
    (lat, lon, alt, accuracy_m): (jdouble, jdouble, jdouble, jdouble),
    work: impl FnOnce(LocalizeArgs<'_>) -> Result<[f64; 9], ApiError>,
) -> JDoubleArray<'caller> {
    unowned_env
        .with_env(|env| -> Result<_, Fail> {
            let loc = localizer(handle)?;
            let info = info?;
            let priors = lsar_core::Priors::from_gps(
                lsar_core::geometry::Geodetic::new(lat, lon, alt),
                accuracy_m,
            );
            let (localizer, priors) = (&*loc, &priors);
            let values = match buffers {
                Buffers::Packed(b) => with_direct_bytes(env, b, |b| {
                    let planes = Planes::Packed(b);
                    Ok(work(LocalizeArgs { localizer, planes, info, priors })?)
                })?,
                Buffers::Yuv([y, u, v]) => with_direct_bytes(env, y, |y| {
                    with_direct_bytes(env, u, |u| {
                        with_direct_bytes(env, v, |v| {
                            let planes = Planes::Yuv { y, u, v };
                            Ok(work(LocalizeArgs { localizer, planes, info, priors })?)
                        })
                    })
                })?,
            };
            let out = env.new_double_array(values.len())?;
            out.set_region(env, 0, &values)?;
            Ok(out)
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// The values `nativeLocalize` returns for a frame.
fn localize_values(a: LocalizeArgs<'_>) -> Result<[f64; 9], ApiError> {
    let image = image_from_frame(a.planes, &a.info)?;
    outcome(a.localizer.localize(&image, a.priors), |l| {
        let c = &l.camera_json;
        let p = c.position.map_or([f64::NAN; 3], |p| [p.lat, p.lon, p.height]);
        #[allow(clippy::cast_precision_loss)]
        let inliers = l.inliers as f64;
        [
            l.confidence,
            p[0],
            p[1],
            p[2],
            c.yaw_deg.unwrap_or(f64::NAN),
            c.pitch_deg.unwrap_or(f64::NAN),
            c.roll_deg.unwrap_or(f64::NAN),
            c.fov_deg,
            inliers,
        ]
    })
}

/// `static native double[] nativeLocalize(long handle, ByteBuffer frame, int width, int
/// height, int format, int rotation, int rowStride, double lat, double lon, double altitude,
/// double accuracyM)`: `{confidence, lat, lon, height, yaw, pitch, roll, hfovDeg, inliers}`;
/// a photo that is not localized throws with the reason.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // the JNI signature is the Java method's
pub extern "system" fn Java_org_lsar_FrameJni_nativeLocalize<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    handle: jlong,
    frame: JByteBuffer<'caller>,
    width: jint,
    height: jint,
    format: jint,
    rotation: jint,
    row_stride: jint,
    lat: jdouble,
    lon: jdouble,
    alt: jdouble,
    accuracy_m: jdouble,
) -> JDoubleArray<'caller> {
    let info = frame_info((width, height, format, rotation, row_stride), (0, 0));
    let gps = (lat, lon, alt, accuracy_m);
    localize_call(&mut unowned_env, handle, Buffers::Packed(&frame), info, gps, localize_values)
}

/// `static native double[] nativeLocalizeYuv(long handle, ByteBuffer y, ByteBuffer u,
/// ByteBuffer v, int width, int height, int rotation, int rowStride, int uvRowStride, int
/// uvPixelStride, double lat, double lon, double altitude, double accuracyM)`: as
/// `nativeLocalize` for an Android `YUV_420_888` image (`Image.getPlanes()`: the planes'
/// buffers, the Y plane's row stride, the chroma planes' row and pixel strides).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // the JNI signature is the Java method's
pub extern "system" fn Java_org_lsar_FrameJni_nativeLocalizeYuv<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    handle: jlong,
    y: JByteBuffer<'caller>,
    u: JByteBuffer<'caller>,
    v: JByteBuffer<'caller>,
    width: jint,
    height: jint,
    rotation: jint,
    row_stride: jint,
    uv_row_stride: jint,
    uv_pixel_stride: jint,
    lat: jdouble,
    lon: jdouble,
    alt: jdouble,
    accuracy_m: jdouble,
) -> JDoubleArray<'caller> {
    let info = frame_info(
        (width, height, YUV_420_888, rotation, row_stride),
        (uv_row_stride, uv_pixel_stride),
    );
    let gps = (lat, lon, alt, accuracy_m);
    localize_call(&mut unowned_env, handle, Buffers::Yuv([&y, &u, &v]), info, gps, localize_values)
}

/// Test hooks (`jni` + `test-hooks` features) for the Java class `org.lsar.FrameJniHooks`
/// of the binding tests (tests/bindings/jni/org/lsar/FrameJniHooks.java); never in shipped
/// builds.
#[cfg(feature = "test-hooks")]
mod hooks {
    use super::*;

    /// `static native long nativeFrameAddress(ByteBuffer frame)`: the address of the bytes
    /// Rust reads (the buffer's own memory: no copy).
    #[unsafe(no_mangle)]
    pub extern "system" fn Java_org_lsar_FrameJniHooks_nativeFrameAddress<'caller>(
        mut unowned_env: EnvUnowned<'caller>,
        _class: JClass<'caller>,
        frame: JByteBuffer<'caller>,
    ) -> jlong {
        unowned_env
            .with_env(|env| -> Result<_, Fail> {
                let addr = with_direct_bytes(env, &frame, |b| Ok(b.as_ptr().addr()))?;
                Ok(jlong::try_from(addr).unwrap_or(-1))
            })
            .resolve::<ThrowRuntimeExAndDefault>()
    }

    /// `static native double[] nativeCross(...)`, the arguments of `nativeLocalize`: the
    /// whole call of `nativeLocalize` without the conversion and the localization; returns
    /// `{address of the first byte, width, height, 0, ...}`.
    #[unsafe(no_mangle)]
    #[allow(clippy::too_many_arguments)] // the JNI signature is the Java method's
    pub extern "system" fn Java_org_lsar_FrameJniHooks_nativeCross<'caller>(
        mut unowned_env: EnvUnowned<'caller>,
        _class: JClass<'caller>,
        handle: jlong,
        frame: JByteBuffer<'caller>,
        width: jint,
        height: jint,
        format: jint,
        rotation: jint,
        row_stride: jint,
        lat: jdouble,
        lon: jdouble,
        alt: jdouble,
        accuracy_m: jdouble,
    ) -> JDoubleArray<'caller> {
        let info = frame_info((width, height, format, rotation, row_stride), (0, 0));
        let gps = (lat, lon, alt, accuracy_m);
        localize_call(&mut unowned_env, handle, Buffers::Packed(&frame), info, gps, |a| {
            std::hint::black_box((a.localizer, a.priors));
            let first = match a.planes {
                Planes::Packed(b) | Planes::Yuv { y: b, .. } => b,
            };
            #[allow(clippy::cast_precision_loss)] // addresses < 2^53
            let addr = first.as_ptr().addr() as f64;
            let mut out = [0.0; 9];
            out[0] = addr;
            out[1] = f64::from(a.info.width);
            out[2] = f64::from(a.info.height);
            Ok(out)
        })
    }
}
