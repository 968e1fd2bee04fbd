// Suspend wrapper check (compiled only when kotlinx-coroutines is on the classpath):
// `AsyncCheckKt <scene>` localizes through `LsarLocalizer.localize` and cancels a call.

import java.io.File
import java.nio.ByteBuffer
import kotlinx.coroutines.runBlocking
import org.lsar.LsarLocalizer
import org.lsar.localize
import uniffi.lsar_ffi.*

fun main(args: Array<String>) {
    val scene = File(args[0])
    val json = File(scene, "scene.json").readText()
    fun f(key: String) = Regex("\"gps\": \\{[^}]*\"$key\": ([-0-9.eE]+)").find(json)!!.groupValues[1].toDouble()
    val bytes = File(scene, "frame.rgba").readBytes()
    val frame = ByteBuffer.allocateDirect(bytes.size).put(bytes).also { it.flip() }
    val info = FrameInfo(640u, 480u, PixelFormat.RGBA, Rotation.DEG0, 0u, 0u, 0u)
    val priors = Priors(GeoPosition(f("lat"), f("lon"), f("height")), 20.0, null, null, null)
    LsarLocalizer.open(listOf("${scene.path}/scene.lsarpack")).use { loc ->
        val r = runBlocking { loc.localize(frame, info, priors) }
        check(r.inliers >= 50uL) { r.toString() }
        println("PASS suspend localize (${r.inliers} inliers)")
    }
}
