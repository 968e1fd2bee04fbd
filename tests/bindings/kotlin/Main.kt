// Kotlin/JVM binding test of lsar-ffi: the generated `uniffi.lsar_ffi` bindings (JNA) and the
// Android wrapper `org.lsar.LsarLocalizer` against the host library. Run by
// tests/bindings/run.sh with the scene folder (make_test_scene) as the first argument.

import com.sun.jna.Native
import com.sun.jna.Pointer
import java.io.File
import java.nio.ByteBuffer
import kotlin.math.abs
import org.lsar.LsarLocalizer
import uniffi.lsar_ffi.*

var failures = 0

fun check(name: String, ok: Boolean, detail: () -> String = { "" }) {
    if (ok) println("PASS $name") else { failures++; println("FAIL $name ${detail()}") }
}

inline fun <reified E : Throwable> expectThrows(name: String, block: () -> Unit): E? {
    try { block() } catch (e: Throwable) {
        if (e is E) { check(name, true); return e }
        check(name, false) { "threw ${e::class.simpleName}: ${e.message}" }; return null
    }
    check(name, false) { "did not throw" }; return null
}

fun field(json: String, section: String, key: String): Double {
    val block = Regex("\"$section\": \\{([^}]*)\\}").find(json)?.groupValues?.get(1) ?: error("no $section")
    return Regex("\"$key\": ([-0-9.eE]+)").find(block)?.groupValues?.get(1)?.toDouble() ?: error("no $key")
}

fun direct(bytes: ByteArray): ByteBuffer = ByteBuffer.allocateDirect(bytes.size).put(bytes).also { it.flip() }

fun angleErr(a: Double, b: Double) = abs(((a - b + 540.0) % 360.0) - 180.0)

fun main(args: Array<String>) {
    val scene = File(args.getOrElse(0) { "target/bindings/scene" })
    val json = File(scene, "scene.json").readText()
    val info = FrameInfo(640u, 480u, PixelFormat.RGBA, Rotation.DEG0, 0u, 0u, 0u)
    fun priors(lat: Double = field(json, "gps", "lat"), lon: Double = field(json, "gps", "lon")) =
        Priors(GeoPosition(lat, lon, field(json, "gps", "height")), 20.0, null, null, null)
    val frame = direct(File(scene, "frame.rgba").readBytes())
    val pack = "${scene.path}/scene.lsarpack"

    check("version", lsarVersion() == "0.1.0")
    RegionPack.open(pack).use { p ->
        val i = p.info()
        check("pack info", i.modelId == "sift-baseline" && i.views == 1uL && i.pois == 1uL) { i.toString() }
        check("pack pois", p.pois().map { it.name } == listOf("Synthetic Peak"))
    }

    LsarLocalizer.open(listOf(pack)).use { loc ->
        val r = loc.localizeBlocking(frame, info, priors())
        val c = r.camera
        val ok = angleErr(c.yawDeg ?: 999.0, field(json, "truth", "yaw_deg")) < 0.5 &&
            abs((c.pitchDeg ?: 999.0) - field(json, "truth", "pitch_deg")) < 0.5 &&
            angleErr(c.rollDeg ?: 999.0, field(json, "truth", "roll_deg")) < 0.5 &&
            abs(c.fovDeg - field(json, "truth", "hfov_deg")) < 1.0 && r.inliers >= 50uL
        check("localize direct ByteBuffer", ok) { r.toString() }
        val labels = loc.projectPois(r, OverlayOptions(null, true, null))
        check("project pois", labels.map { it.name } == listOf("Synthetic Peak")) { labels.toString() }

        val token = CancelToken()
        token.cancel()
        val e = expectThrows<ApiException.NotLocalized>("cancelled") { loc.localizeBlocking(frame, info, priors(), token) }
        check("cancel reason", e != null && e.reason is NotLocalizedReason.Cancelled && e.detail == "cancelled") { e.toString() }
        val o = expectThrows<ApiException.NotLocalized>("outside packs") { loc.localizeBlocking(frame, info, priors(10.0, 10.0)) }
        check("outside reason", o != null && o.reason is NotLocalizedReason.OutsidePacks &&
            o.detail == "no region pack covers the position") { o.toString() }
        expectThrows<ApiException.InvalidInput>("short frame") {
            loc.localizeBlocking(direct(ByteArray(100)), info, priors())
        }
        // The wrapper reads from the buffer's position: 48 rows of zeros before the frame.
        val pad = 48 * 640 * 4
        val offset = ByteBuffer.allocateDirect(pad + 640 * 480 * 4)
        offset.position(pad)
        offset.put(File(scene, "frame.rgba").readBytes())
        offset.position(pad)
        val s = loc.localizeBlocking(offset, info, priors())
        check("localize from the buffer's position", abs((s.camera.pitchDeg ?: 999.0) - field(json, "truth", "pitch_deg")) < 0.5 &&
            angleErr(s.camera.yawDeg ?: 999.0, field(json, "truth", "yaw_deg")) < 0.5) { s.camera.toString() }
        check("position unchanged", offset.position() == pad)
        expectThrows<IllegalArgumentException>("heap buffer refused") {
            loc.localizeBlocking(ByteBuffer.wrap(ByteArray(640 * 480 * 4)), info, priors())
        }
    }
    Localizer.open(listOf(pack), ModelSource.Sift).use { raw ->
        // No copy: Rust reads the direct buffer's own memory.
        val base = Pointer.nativeValue(Native.getDirectBufferPointer(frame))
        check("no copy: Rust reads the direct buffer", raw.testHookCross(frame, info, priors(), null).toLong() == base)
        val shifted = frame.duplicate()
        shifted.position(64)
        check("generated bindings pass the base address", raw.testHookCross(shifted, info, priors(), null).toLong() == base)
        check("a slice starts at the position", raw.testHookCross(shifted.slice(), info, priors(), null).toLong() == base + 64)
        val r = raw.localize(frame, info, priors(), null)
        check("localization record round trip", testHookEchoLocalization(r) == r)
    }
    expectThrows<ApiException.PackMissing>("pack missing") { Localizer.open(listOf("${scene.path}/none.lsarpack"), ModelSource.Sift) }
    expectThrows<ApiException.PackInvalid>("pack invalid") { RegionPack.open("${scene.path}/damaged.lsarpack") }
    expectThrows<ApiException.ModelMismatch>("model mismatch") {
        Localizer.open(listOf("${scene.path}/other-model.lsarpack"), ModelSource.Sift)
    }
    expectThrows<ApiException.InvalidInput>("no packs") { Localizer.open(listOf(), ModelSource.Sift) }
    expectThrows<ApiException.Internal>("internal (test hook)") { testHookInternalError() }

    println(if (failures == 0) "kotlin: all checks passed" else "kotlin: $failures check(s) failed")
    if (failures != 0) kotlin.system.exitProcess(1)
}
