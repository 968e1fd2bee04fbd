// Kotlin/JVM (UniFFI + JNA) side of the binding-overhead benchmark (run by
// ffi/bench/overhead.sh): the operations of ffi/examples/bench_overhead.rs through the
// generated bindings with a direct ByteBuffer, one line each:
// `kotlin <op> median_ms=.. p10_ms=.. p90_ms=.. calls=..`.

import java.io.File
import java.nio.ByteBuffer
import kotlin.math.abs
import uniffi.lsar_ffi.*

fun timed(op: String, samples: Int, batch: Int, f: () -> Unit) {
    repeat(3) { f() } // warm-up (JIT)
    val perCall = DoubleArray(samples) {
        val t = System.nanoTime()
        repeat(batch) { f() }
        (System.nanoTime() - t) / 1e6 / batch
    }
    perCall.sort()
    fun q(p: Double) = perCall[Math.round((perCall.size - 1) * p).toInt()]
    println("kotlin $op median_ms=%.6f p10_ms=%.6f p90_ms=%.6f calls=%d".format(q(0.5), q(0.1), q(0.9), samples * batch))
}

fun number(json: String, section: String, key: String): Double {
    val block = Regex("\"$section\": \\{([^}]*)\\}").find(json)!!.groupValues[1]
    return Regex("\"$key\": ([-0-9.eE]+)").find(block)!!.groupValues[1].toDouble()
}

fun main(args: Array<String>) {
    val scene = File(args[0])
    val reps = args.getOrNull(1)?.toInt() ?: 15
    val json = File(scene, "scene.json").readText()
    val bytes = File(scene, "frame1080.rgba").readBytes()
    val pixels = ByteBuffer.allocateDirect(bytes.size).put(bytes).also { it.flip() }
    val frame = FrameInfo(1920u, 1080u, PixelFormat.RGBA, Rotation.DEG0, 0u, 0u, 0u)
    val priors = Priors(GeoPosition(number(json, "gps", "lat"), number(json, "gps", "lon"), number(json, "gps", "height")),
        20.0, null, null, null)
    Localizer.open(listOf("${scene.path}/scene.lsarpack"), ModelSource.Sift).use { loc ->
        val r = loc.localize(pixels, frame, priors, null)
        println("kotlin check yaw_error_deg=%.3f inliers=%d".format(abs(r.camera.yawDeg!! - number(json, "truth", "yaw_deg")), r.inliers.toLong()))
        timed("cross", 200, 50) { loc.testHookCross(pixels, frame, priors, null) }
        timed("echo", 200, 50) { testHookEchoLocalization(r) }
        timed("localize", reps, 1) { loc.localize(pixels, frame, priors, null) }
    }
}
