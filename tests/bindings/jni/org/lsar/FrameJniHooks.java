package org.lsar;

import java.nio.ByteBuffer;

/**
 * Test hooks of the JNI fast path (Rust features {@code jni} and {@code test-hooks}; never in
 * shipped builds): used by the binding tests (no copy of the frame) and the overhead
 * benchmark (ffi/bench/).
 */
public final class FrameJniHooks {
    static {
        System.loadLibrary("lsar_ffi");
    }

    private FrameJniHooks() {}

    /** The address of the bytes Rust reads from a direct buffer. */
    public static native long nativeFrameAddress(ByteBuffer frame);

    /**
     * {@link FrameJni#nativeLocalize}'s arguments and path without the conversion and the
     * localization: {address of the first byte, width, height, 0, ...}.
     */
    public static native double[] nativeCross(
            long handle, ByteBuffer frame, int width, int height, int format, int rotation,
            int rowStride, double lat, double lon, double altitude, double accuracyM);
}
