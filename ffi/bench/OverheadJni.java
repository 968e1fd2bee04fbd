import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.lsar.FrameJni;
import org.lsar.FrameJniHooks;

/**
 * Java/JNI fast-path side of the binding-overhead benchmark (run by ffi/bench/overhead.sh):
 * {@code nativeCross} (the arguments of {@code nativeLocalize} without the work) and
 * {@code nativeLocalize} on the 1920x1080 RGBA frame, one line each:
 * {@code jni <op> median_ms=.. p10_ms=.. p90_ms=.. calls=..}.
 */
public final class OverheadJni {
    interface Call {
        void run();
    }

    static void timed(String op, int samples, int batch, Call f) {
        for (int i = 0; i < 3; i++) f.run(); // warm-up (JIT)
        double[] perCall = new double[samples];
        for (int s = 0; s < samples; s++) {
            long t = System.nanoTime();
            for (int i = 0; i < batch; i++) f.run();
            perCall[s] = (System.nanoTime() - t) / 1e6 / batch;
        }
        Arrays.sort(perCall);
        System.out.printf("jni %s median_ms=%.6f p10_ms=%.6f p90_ms=%.6f calls=%d%n", op,
                q(perCall, 0.5), q(perCall, 0.1), q(perCall, 0.9), samples * batch);
    }

    static double q(double[] sorted, double p) {
        return sorted[(int) Math.round((sorted.length - 1) * p)];
    }

    static double number(String json, String section, String key) {
        Matcher m = Pattern.compile("\"" + section + "\": \\{[^}]*\"" + key + "\": ([-0-9.eE]+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + section + "." + key);
        return Double.parseDouble(m.group(1));
    }

    public static void main(String[] args) throws Exception {
        Path scene = Path.of(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        String json = Files.readString(scene.resolve("scene.json"));
        byte[] bytes = Files.readAllBytes(scene.resolve("frame1080.rgba"));
        ByteBuffer frame = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        double lat = number(json, "gps", "lat"), lon = number(json, "gps", "lon"), alt = number(json, "gps", "height");
        long h = FrameJni.nativeOpenSift(scene.resolve("scene.lsarpack").toString());
        try {
            double[] r = FrameJni.nativeLocalize(h, frame, 1920, 1080, FrameJni.RGBA, 0, 0, lat, lon, alt, 20.0);
            System.out.printf("jni check yaw_error_deg=%.3f inliers=%.0f%n",
                    Math.abs(r[4] - number(json, "truth", "yaw_deg")), r[8]);
            timed("cross", 200, 50,
                    () -> FrameJniHooks.nativeCross(h, frame, 1920, 1080, FrameJni.RGBA, 0, 0, lat, lon, alt, 20.0));
            timed("localize", reps, 1,
                    () -> FrameJni.nativeLocalize(h, frame, 1920, 1080, FrameJni.RGBA, 0, 0, lat, lon, alt, 20.0));
        } finally {
            FrameJni.nativeClose(h);
        }
    }
}
