//! JNI fast path for Android camera frames (`jni` feature): the Java class
//! `org.lsar.FrameJni` (android/src/main/java/org/lsar/FrameJni.java) passes a direct
//! `java.nio.ByteBuffer` that Rust reads in place (no copy, no JNA marshalling), for
//! per-frame work that must stay cheap (camera preview at 30 fps).
//!
//! Localizers opened here live in a registry keyed by a `long` handle: a stale or repeated
//! handle is an error, never a dangling pointer. Errors and panics become Java
//! `RuntimeException`s (jni's `ThrowRuntimeExAndDefault`); none crosses the boundary.
//!
//! Format codes (`FrameJni.RGBA` ...): 0 RGBA, 1 BGRA, 2 RGB, 3 GREY, 4 NV21, 5 NV12;
//! rotation in degrees clockwise (0, 90, 180, 270).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JByteBuffer, JClass, JDoubleArray, JFloatArray, JString};
use jni::sys::{jdouble, jint, jlong};

use crate::error::{ApiError, outcome};
use crate::frame::{FrameInfo, PixelFormat, Planes, Rotation, image_from_frame};

/// Errors of a native method: JNI's own, or the SDK's.
#[derive(Debug, thiserror::Error)]
enum Fail {
    #[error(transparent)]
    Jni(#[from] jni::errors::Error),
    #[error(transparent)]
    Api(#[from] ApiError),
}

type Registry = Mutex<HashMap<jlong, Arc<lsar_core::Localizer>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

fn frame_info(
    width: jint,
    height: jint,
    format: jint,
    rotation: jint,
    row_stride: jint,
) -> Result<FrameInfo, ApiError> {
    let format = match format {
        0 => PixelFormat::Rgba,
        1 => PixelFormat::Bgra,
        2 => PixelFormat::Rgb,
        3 => PixelFormat::Grey,
        4 => PixelFormat::Nv21,
        5 => PixelFormat::Nv12,
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
        uv_row_stride: 0,
        uv_pixel_stride: 0,
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
            let info = frame_info(width, height, format, rotation, row_stride)?;
            let image = with_direct_bytes(env, &frame, |b| {
                Ok(image_from_frame(Planes::Packed(b), &info)?)
            })?;
            let out = env.new_float_array(image.data().len())?;
            out.set_region(env, 0, image.data())?;
            Ok(out)
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native long nativeOpenSift(String packPath)`: a localizer over one pack built with
/// the SIFT baseline; returns its handle (> 0).
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_lsar_FrameJni_nativeOpenSift<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    pack_path: JString<'caller>,
) -> jlong {
    unowned_env
        .with_env(|env| -> Result<_, Fail> {
            let path = pack_path.try_to_string(env)?;
            let loc = lsar_core::Localizer::open_paths(&[path], lsar_core::DescriptorModel::Sift)
                .map_err(ApiError::from)?;
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
    unowned_env
        .with_env(|env| -> Result<_, Fail> {
            let loc = registry()
                .lock()
                .map_err(|_| ApiError::Internal { detail: "registry poisoned".into() })?
                .get(&handle)
                .cloned()
                .ok_or_else(|| ApiError::input("unknown or closed localizer handle"))?;
            let info = frame_info(width, height, format, rotation, row_stride)?;
            let image = with_direct_bytes(env, &frame, |b| {
                Ok(image_from_frame(Planes::Packed(b), &info)?)
            })?;
            let priors = lsar_core::Priors::from_gps(
                lsar_core::geometry::Geodetic::new(lat, lon, alt),
                accuracy_m,
            );
            let values = outcome(loc.localize(&image, &priors), |l| {
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
            })?;
            let out = env.new_double_array(values.len())?;
            out.set_region(env, 0, &values)?;
            Ok(out)
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}
