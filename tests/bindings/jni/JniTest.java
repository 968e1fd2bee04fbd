import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.lsar.FrameJni;
import org.lsar.FrameJniHooks;

/**
 * Java/JNI test of the lsar-ffi fast path (org.lsar.FrameJni, library built with the
 * {@code jni} feature). Usage: {@code java -Djava.library.path=<dir of liblsar_ffi.so>
 * JniTest <scene dir>}.
 */
public final class JniTest {
    private static int failures = 0;

    private static void check(String name, boolean ok, String detail) {
        System.out.println((ok ? "PASS " : "FAIL ") + name + (ok ? "" : " " + detail));
        if (!ok) failures++;
    }

    private static double gps(String json, String key) {
        Matcher m = Pattern.compile("\"gps\": \\{[^}]*\"" + key + "\": ([-0-9.eE]+)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    public static void main(String[] args) throws Exception {
        Path scene = Path.of(args[0]);
        String json = Files.readString(scene.resolve("scene.json"));
        byte[] rgba = Files.readAllBytes(scene.resolve("frame.rgba"));
        ByteBuffer frame = ByteBuffer.allocateDirect(rgba.length).put(rgba).flip();

        // Conversion, read in place: 2x1 BGRA turned 90 degrees becomes 1x2 RGB.
        ByteBuffer bgra = ByteBuffer.allocateDirect(8).put(new byte[] {0, 0, (byte) 255, (byte) 255, 0, (byte) 255, 0, (byte) 255}).flip();
        float[] img = FrameJni.nativeToImage(bgra, 2, 1, FrameJni.BGRA, 90, 0);
        check("bgra rotated", img.length == 6 && img[0] == 1f && img[1] == 0f && img[4] == 1f, java.util.Arrays.toString(img));
        float[] full = FrameJni.nativeToImage(frame, 640, 480, FrameJni.RGBA, 0, 0);
        check("rgba frame", full.length == 640 * 480 * 3, "length " + full.length);

        // No copy: Rust reads the direct buffer's own memory (JNI GetDirectBufferAddress), from
        // its first byte; a slice() starts at the position.
        long base = ((sun.nio.ch.DirectBuffer) frame).address();
        check("no copy: Rust reads the direct buffer", FrameJniHooks.nativeFrameAddress(frame) == base, "");
        ByteBuffer slice = frame.duplicate().position(64).slice();
        check("slice address", FrameJniHooks.nativeFrameAddress(slice) == base + 64, "");

        String pack = scene.resolve("scene.lsarpack").toString();
        // The scene pack is built with the SIFT baseline: a null model opens it; the shipped
        // learned model (path relative to the repository root, the working directory of
        // tests/bindings/run.sh) opens but does not match it; a missing file does not open.
        Path learned = Path.of("models/lsar-desc-v1.safetensors");
        check("learned model file present", Files.isRegularFile(learned), learned.toAbsolutePath().toString());
        try {
            long bad = FrameJni.nativeOpen(pack, learned.toString());
            FrameJni.nativeClose(bad);
            check("learned model on a SIFT pack throws", false, "handle " + bad);
        } catch (RuntimeException e) {
            String m = e.getMessage();
            check("learned model on a SIFT pack throws", m.contains("model mismatch") && m.contains("pack built with"), m);
        }
        String missing = scene.resolve("no-such-model.safetensors").toString();
        try {
            long bad = FrameJni.nativeOpen(pack, missing);
            FrameJni.nativeClose(bad);
            check("missing model file throws", false, "handle " + bad);
        } catch (RuntimeException e) {
            String m = e.getMessage();
            check("missing model file throws", m.contains("not readable") && !m.contains("no-such-model"), m);
        }
        long sift = FrameJni.nativeOpenSift(pack);
        check("nativeOpenSift", sift > 0, "handle " + sift);
        FrameJni.nativeClose(sift);
        long h = FrameJni.nativeOpen(pack, null);
        check("open", h > 0 && h != sift, "handle " + h);
        double[] cross = FrameJniHooks.nativeCross(h, frame, 640, 480, FrameJni.RGBA, 0, 0, 0, 0, 0, 20.0);
        check("nativeLocalize's path reads in place", cross[0] == (double) base && cross[1] == 640 && cross[2] == 480,
                java.util.Arrays.toString(cross));
        double[] r = FrameJni.nativeLocalize(h, frame, 640, 480, FrameJni.RGBA, 0, 0,
                gps(json, "lat"), gps(json, "lon"), gps(json, "height"), 20.0);
        check("localize", r.length == 9 && Math.abs(r[4] - 6.0) < 0.5 && Math.abs(r[7] - 50.0) < 1.0 && r[8] >= 50,
                java.util.Arrays.toString(r));
        // YUV_420_888 as most Android cameras deliver it: chroma interleaved (pixel stride 2),
        // U and V buffers overlapping by all but one byte; neutral chroma (a grey photo).
        byte[] nv21 = Files.readAllBytes(scene.resolve("frame.nv21"));
        ByteBuffer y = ByteBuffer.allocateDirect(640 * 480).put(nv21, 0, 640 * 480).flip();
        ByteBuffer chroma = ByteBuffer.allocateDirect(320 * 240 * 2);
        while (chroma.hasRemaining()) chroma.put((byte) 128);
        ByteBuffer u = chroma.duplicate().position(0).limit(320 * 240 * 2 - 1).slice();
        ByteBuffer v = chroma.duplicate().position(1).slice();
        double[] ry = FrameJni.nativeLocalizeYuv(h, y, u, v, 640, 480, 0, 640, 640, 2,
                gps(json, "lat"), gps(json, "lon"), gps(json, "height"), 20.0);
        check("localize YUV_420_888", ry.length == 9 && Math.abs(ry[4] - 6.0) < 0.5 && Math.abs(ry[7] - 50.0) < 1.0 && ry[8] >= 50,
                java.util.Arrays.toString(ry));
        try {
            FrameJni.nativeLocalizeYuv(h, y, u, v, 640, 480, 0, 640, 641, 2, 0, 0, 0, 20.0);
            check("short chroma plane throws", false, "no exception");
        } catch (RuntimeException e) {
            check("short chroma plane throws", e.getMessage().contains("shorter"), e.getMessage());
        }
        try {
            FrameJni.nativeLocalize(h, frame, 640, 480, FrameJni.RGBA, 0, 0, 10.0, 10.0, 0.0, 20.0);
            check("outside packs throws", false, "no exception");
        } catch (RuntimeException e) {
            check("outside packs throws", e.getMessage().contains("no region pack covers"), e.getMessage());
        }
        try {
            FrameJni.nativeToImage(ByteBuffer.wrap(new byte[8]), 2, 1, FrameJni.RGBA, 0, 0);
            check("heap buffer throws", false, "no exception");
        } catch (RuntimeException e) {
            check("heap buffer throws", true, "");
        }
        FrameJni.nativeClose(h);
        FrameJni.nativeClose(h);
        try {
            FrameJni.nativeLocalize(h, frame, 640, 480, FrameJni.RGBA, 0, 0, 0, 0, 0, 20.0);
            check("closed handle throws", false, "no exception");
        } catch (RuntimeException e) {
            check("closed handle throws", e.getMessage().contains("handle"), e.getMessage());
        }
        System.out.println(failures == 0 ? "jni: all checks passed" : "jni: " + failures + " check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }
}
