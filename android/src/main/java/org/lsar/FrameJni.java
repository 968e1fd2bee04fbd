package org.lsar;

import java.nio.ByteBuffer;

/**
 * JNI fast path of liblsar_ffi (Rust feature {@code jni}): camera frames in direct
 * ByteBuffers are read in place by Rust, without JNA marshalling. The UniFFI API
 * ({@code uniffi.lsar_ffi}) covers everything else. Errors throw RuntimeException.
 *
 * <p>A frame buffer is read from its first byte to its capacity (JNI's
 * GetDirectBufferAddress and GetDirectBufferCapacity): position and limit are not consulted.
 * Pass a camera plane's buffer as it comes, or {@code buffer.slice()} to start at the
 * position.
 */
public final class FrameJni {
    public static final int RGBA = 0;
    public static final int BGRA = 1;
    public static final int RGB = 2;
    public static final int GREY = 3;
    public static final int NV21 = 4;
    public static final int NV12 = 5;
    /** Android {@code ImageFormat.YUV_420_888}: three planes, {@link #nativeLocalizeYuv}. */
    public static final int YUV_420_888 = 6;

    static {
        System.loadLibrary("lsar_ffi");
    }

    private FrameJni() {}

    /** The upright image the localizer sees: row-major, RGB interleaved (grey for GREY), in [0, 1]. */
    public static native float[] nativeToImage(
            ByteBuffer frame, int width, int height, int format, int rotation, int rowStride);

    /**
     * A localizer over one pack; returns its handle. {@code modelPath} is the learned
     * network's safetensors file the pack was built with, or {@code null} for the SIFT
     * baseline. Throws when the pack or the model does not open or they do not match.
     */
    public static native long nativeOpen(String packPath, String modelPath);

    /** {@code nativeOpen(packPath, null)}: a pack built with the SIFT baseline. */
    public static native long nativeOpenSift(String packPath);

    /** Forgets a localizer (no-op for an unknown handle). */
    public static native void nativeClose(long handle);

    /**
     * Localizes a frame: {confidence, lat, lon, height, yaw, pitch, roll, hfovDeg, inliers};
     * throws with the reason when the photo is not localized.
     */
    public static native double[] nativeLocalize(
            long handle, ByteBuffer frame, int width, int height, int format, int rotation,
            int rowStride, double lat, double lon, double altitude, double accuracyM);

    /**
     * As {@link #nativeLocalize} for a {@code YUV_420_888} camera image: the buffers of
     * {@code Image.getPlanes()[0..2]}, the Y plane's row stride and the chroma planes' row and
     * pixel strides (all three planes are read in place).
     */
    public static native double[] nativeLocalizeYuv(
            long handle, ByteBuffer y, ByteBuffer u, ByteBuffer v, int width, int height,
            int rotation, int rowStride, int uvRowStride, int uvPixelStride, double lat,
            double lon, double altitude, double accuracyM);
}
