package org.lsar

import java.nio.ByteBuffer
import uniffi.lsar_ffi.CancelToken
import uniffi.lsar_ffi.FrameInfo
import uniffi.lsar_ffi.Label
import uniffi.lsar_ffi.Localization
import uniffi.lsar_ffi.Localizer
import uniffi.lsar_ffi.ModelSource
import uniffi.lsar_ffi.OverlayOptions
import uniffi.lsar_ffi.Priors

/**
 * The lsar localizer for Android apps: region packs + a descriptor model, opened once,
 * closed with [close] (or `use {}`). Thread-safe: many threads may localize at once.
 *
 * This file is the synchronous core (Kotlin stdlib only); the suspend functions are in
 * `LsarLocalizerAsync.kt`. Camera frames must be **direct** ByteBuffers: the native library
 * reads them in place (no copy), from the buffer's position to its limit. (The generated
 * bindings pass a buffer's base address with `remaining()` bytes; the wrapper passes a
 * `slice()`, whose base address is the position.)
 *
 * Errors are `uniffi.lsar_ffi.ApiException` subclasses: `PackMissing`, `PackInvalid`,
 * `ModelMismatch`, `NotLocalized` (with its reason), `InvalidInput`, `Internal`.
 */
class LsarLocalizer private constructor(private val inner: Localizer) : AutoCloseable {
    companion object {
        /** Opens packs (file paths) with the model they were built with. */
        @JvmStatic
        fun open(packPaths: List<String>, model: ModelSource = ModelSource.Sift): LsarLocalizer =
            LsarLocalizer(Localizer.open(packPaths, model))

        /** Default overlay options: hidden peaks removed, no distance or count limit. */
        @JvmField
        val DEFAULT_OVERLAY = OverlayOptions(maxDistanceM = null, includeHidden = false, maxLabels = null)
    }

    /** Localizes one frame (RGBA, BGRA, RGB, GREY, NV21, NV12); blocks: call off the UI thread. */
    fun localizeBlocking(
        frame: ByteBuffer,
        info: FrameInfo,
        priors: Priors,
        cancel: CancelToken? = null,
    ): Localization {
        require(frame.isDirect) { "camera frames must be direct ByteBuffers" }
        return inner.localize(frame.slice(), info, priors, cancel)
    }

    /** Localizes a `YUV_420_888` frame from its three planes (`Image.planes[i].buffer`). */
    fun localizeYuvBlocking(
        y: ByteBuffer,
        u: ByteBuffer,
        v: ByteBuffer,
        info: FrameInfo,
        priors: Priors,
        cancel: CancelToken? = null,
    ): Localization {
        require(y.isDirect && u.isDirect && v.isDirect) { "planes must be direct ByteBuffers" }
        return inner.localizeYuv(y.slice(), u.slice(), v.slice(), info, priors, cancel)
    }

    /** The visible, decluttered peak labels for a localization of this localizer. */
    fun projectPois(localization: Localization, options: OverlayOptions = DEFAULT_OVERLAY): List<Label> =
        inner.projectPois(localization, options)

    /** Releases the native localizer (idempotent). */
    override fun close() = inner.close()
}
