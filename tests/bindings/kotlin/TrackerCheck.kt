// Kotlin/JVM binding test of lsar-ffi's Tracker (generated `uniffi.lsar_ffi` bindings, JNA):
// sensor frames in, a sensor-only pose, a fix from the Localizer on the test scene's frame, a
// contradicting fix rejected with its reason, labels, input errors, and use from two threads.
// Run by tests/bindings/run.sh with the scene folder (make_test_scene) as the first argument.
package trackercheck

import java.io.File
import java.nio.ByteBuffer
import kotlin.concurrent.thread
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.sin
import kotlin.system.exitProcess
import uniffi.lsar_ffi.*

var failures = 0

fun check(name: String, ok: Boolean, detail: () -> String = { "" }) {
    if (ok) println("PASS tracker $name") else { failures++; println("FAIL tracker $name ${detail()}") }
}

fun field(json: String, section: String, key: String): Double {
    val block = Regex("\"$section\": \\{([^}]*)\\}").find(json)?.groupValues?.get(1) ?: error("no $section")
    return Regex("\"$key\": ([-0-9.eE]+)").find(block)?.groupValues?.get(1)?.toDouble() ?: error("no $key")
}

fun angleErr(a: Double, b: Double) = abs(((a - b + 540.0) % 360.0) - 180.0)

fun main(args: Array<String>) {
    val scene = File(args.getOrElse(0) { "target/bindings/scene" })
    val json = File(scene, "scene.json").readText()
    val gps = GeoPosition(field(json, "gps", "lat"), field(json, "gps", "lon"), field(json, "gps", "height"))
    val (yaw, pitch, roll) = listOf("yaw_deg", "pitch_deg", "roll_deg").map { field(json, "truth", it) }
    val hfov = field(json, "truth", "hfov_deg")
    // Down in the camera frame for DESIGN.md's angles: (sin r cos p, cos r cos p, -sin p).
    val (p, r) = Math.toRadians(pitch) to Math.toRadians(roll)
    val down = Vec3(sin(r) * cos(p), cos(r) * cos(p), -sin(p))
    // A still phone: gyro bias 0.002 rad/s, compass 7 degrees off.
    fun frame(k: Int) = SensorFrame(
        k / 30.0, RotationSample.Rate(Vec3(0.0, 0.002, 0.0)), down,
        if (k % 3 == 0) HeadingPrior(yaw + 7.0, 5.0) else null, GpsSample(gps, 20.0),
    )

    val pack = "${scene.path}/scene.lsarpack"
    val info = FrameInfo(640u, 480u, PixelFormat.RGBA, Rotation.DEG0, 0u, 0u, 0u)
    val loc = Localizer.open(listOf(pack), ModelSource.Sift).use { l ->
        val bytes = File(scene, "frame.rgba").readBytes()
        val pixels = ByteBuffer.allocateDirect(bytes.size).put(bytes).also { it.flip() }
        l.localize(pixels, info, Priors(gps, 20.0, null, null, null), null)
    }

    Tracker(trackerDefaultSettings()).use { tracker ->
        check("uninitialised", tracker.mode() == TrackingMode.UNINITIALISED && tracker.pose() == null)
        var pose: TrackedPose? = null
        for (k in 0 until 60) pose = tracker.update(frame(k))
        check("sensor only", pose != null && pose.mode == TrackingMode.SENSOR_ONLY &&
            abs(angleErr(pose.yawDeg, yaw) - 7.0) < 2.0) { pose.toString() }
        check("asks for a first fix", tracker.needsFix() == FixRequest.NoFixYet) { tracker.needsFix().toString() }
        for (k in 60 until 69) tracker.update(frame(k))
        val accepted = tracker.applyLocalization(loc, 59 / 30.0)
        check("fix accepted", accepted is FixResult.Accepted && accepted.correctionDeg > 3.0) { accepted.toString() }
        for (k in 69 until 84) pose = tracker.update(frame(k))
        check("visual pose", pose != null && pose.mode == TrackingMode.VISUAL && angleErr(pose.yawDeg, yaw) < 0.5 &&
            abs(pose.pitchDeg - pitch) < 0.5 && angleErr(pose.rollDeg, roll) < 0.5) { pose.toString() }
        check("compass bias learnt", (tracker.compassBiasDeg() ?: 0.0) > 3.0)

        // The same pose turned 20 degrees about the camera's up axis.
        val q = loc.quaternionWxyz
        val (c, s) = cos(Math.toRadians(10.0)) to -sin(Math.toRadians(10.0))
        val turned = listOf(c * q[0] - s * q[2], c * q[1] + s * q[3], c * q[2] + s * q[0], c * q[3] - s * q[1])
        val wrong = VisualFix(turned, loc.camera.cameraCenter, 82 / 30.0, 0.9, 200uL)
        val rejected = tracker.applyFix(wrong)
        val reason = (rejected as? FixResult.Rejected)?.reason
        check("wrong fix rejected", reason is FixRejectionReason.ContradictsTrack &&
            abs(reason.angleDeg - 20.0) < 1.0) { rejected.toString() }

        tracker.setOverlayPack(pack)
        var labels = listOf<Label>()
        for (k in 84 until 100) { tracker.update(frame(k)); labels = tracker.labels(640u, 480u, hfov) }
        check("labels", labels.map { it.name } == listOf("Synthetic Peak")) { labels.toString() }
        // Label settings: the record's defaults are lsar-core's; a distance limit nearer than
        // the peak removes its label; invalid settings are refused.
        check("label defaults", LabelSettings() == labelDefaultSettings() && tracker.labelSettings() == LabelSettings())
        tracker.setLabelSettings(LabelSettings(maxDistanceM = 1.0))
        tracker.update(frame(100))
        check("label distance limit", tracker.labels(640u, 480u, hfov).isEmpty())
        try {
            tracker.setLabelSettings(LabelSettings(minCutoffHz = 0.0)); check("bad label settings refused", false)
        } catch (e: ApiException.InvalidInput) {
            check("bad label settings refused", tracker.labelSettings().maxDistanceM == 1.0)
        }
        tracker.setLabelSettings(LabelSettings())

        try { tracker.update(frame(5)); check("time backwards refused", false) } catch (e: ApiException.InvalidInput) {
            check("time backwards refused", true)
        }
        val seen = mutableListOf<Double>()
        val reader = thread { repeat(100) { synchronized(seen) { seen.add(tracker.predictedErrorDeg()) } } }
        for (k in 101 until 200) tracker.update(frame(k))
        reader.join()
        check("two threads", seen.size == 100 && tracker.pose()?.mode == TrackingMode.VISUAL)
    }
    println(if (failures == 0) "tracker: all passed" else "tracker: $failures failed")
    if (failures != 0) exitProcess(1)
}
