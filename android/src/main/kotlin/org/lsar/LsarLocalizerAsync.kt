package org.lsar

import java.nio.ByteBuffer
import java.util.concurrent.Executor
import java.util.concurrent.Executors
import kotlinx.coroutines.suspendCancellableCoroutine
import uniffi.lsar_ffi.CancelToken
import uniffi.lsar_ffi.FrameInfo
import uniffi.lsar_ffi.Localization
import uniffi.lsar_ffi.Priors

/** Worker threads for localize calls (a localize takes 100s of ms: never the UI thread). */
internal object LsarWorkers : Executor by Executors.newCachedThreadPool({ r ->
    Thread(r, "lsar-localize").apply { isDaemon = true }
})

/**
 * Localizes on a worker thread. Cancelling the calling coroutine cancels the native call
 * (through a [CancelToken], checked between pipeline stages).
 */
suspend fun LsarLocalizer.localize(
    frame: ByteBuffer,
    info: FrameInfo,
    priors: Priors,
    executor: Executor = LsarWorkers,
): Localization = suspendCancellableCoroutine { cont ->
    val token = CancelToken()
    cont.invokeOnCancellation { token.cancel() }
    executor.execute {
        val result = runCatching { localizeBlocking(frame, info, priors, token) }
        token.close()
        cont.resumeWith(result)
    }
}

/** As [localize] for a `YUV_420_888` frame's three planes. */
suspend fun LsarLocalizer.localizeYuv(
    y: ByteBuffer,
    u: ByteBuffer,
    v: ByteBuffer,
    info: FrameInfo,
    priors: Priors,
    executor: Executor = LsarWorkers,
): Localization = suspendCancellableCoroutine { cont ->
    val token = CancelToken()
    cont.invokeOnCancellation { token.cancel() }
    executor.execute {
        val result = runCatching { localizeYuvBlocking(y, u, v, info, priors, token) }
        token.close()
        cont.resumeWith(result)
    }
}
