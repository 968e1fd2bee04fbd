"""Python/UniFFI side of the binding-overhead benchmark (run by ffi/bench/overhead.sh).

python3 overhead.py <scene dir> [localize reps]: the operations of
ffi/examples/bench_overhead.rs through the generated `lsar_ffi` module (PYTHONPATH), one
line each: `python <op> median_ms=.. p10_ms=.. p90_ms=.. calls=..`.
"""

import json
import sys
import time
from pathlib import Path

import lsar_ffi as L


def timed(op, samples, batch, f):
    f()  # warm-up
    per_call = []
    for _ in range(samples):
        t = time.perf_counter_ns()
        for _ in range(batch):
            f()
        per_call.append((time.perf_counter_ns() - t) / 1e6 / batch)
    per_call.sort()
    q = lambda p: per_call[round((len(per_call) - 1) * p)]  # noqa: E731
    print(f"python {op} median_ms={q(0.5):.6f} p10_ms={q(0.1):.6f} p90_ms={q(0.9):.6f} "
          f"calls={samples * batch}", flush=True)


def main():
    scene = Path(sys.argv[1])
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    meta = json.loads((scene / "scene.json").read_text())
    big = meta["frame1080"]
    pixels = (scene / big["file"]).read_bytes()
    frame = L.FrameInfo(width=big["width"], height=big["height"], format=L.PixelFormat.RGBA,
                        rotation=L.Rotation.DEG0, row_stride=0, uv_row_stride=0,
                        uv_pixel_stride=0)
    g = meta["gps"]
    priors = L.Priors(gps=L.GeoPosition(lat=g["lat"], lon=g["lon"], height=g["height"]),
                      gps_accuracy_m=20.0, heading=None, gravity_down_in_cam=None, fov=None)
    loc = L.Localizer.open([str(scene / "scene.lsarpack")], L.ModelSource.SIFT())

    r = loc.localize(pixels, frame, priors, None)
    print(f"python check yaw_error_deg={abs(r.camera.yaw_deg - meta['truth']['yaw_deg']):.3f} "
          f"inliers={r.inliers}", flush=True)
    timed("cross", 200, 50, lambda: loc.test_hook_cross(pixels, frame, priors, None))
    timed("echo", 200, 50, lambda: L.test_hook_echo_localization(r))
    timed("localize", reps, 1, lambda: loc.localize(pixels, frame, priors, None))


if __name__ == "__main__":
    main()
