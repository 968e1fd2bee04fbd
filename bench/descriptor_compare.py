"""LandscapeAR descriptor network: PyTorch (CPU) vs lsar (candle path and fast CPU path), same
weights, same patches.

Also matches 5000 x 60000 random unit descriptors: NumPy (matmul + argmin) vs lsar.
Usage (from the repository root; needs `pip install numpy torch`):

    CARGO_TARGET_DIR=target cargo build --release -p lsar-vision --example descriptor_bench
    python3 bench/descriptor_compare.py [--bin target/release/examples/descriptor_bench]

lsar runs as a subprocess per measurement (RAYON_NUM_THREADS = threads), once with candle's
operations (`candle`) and once with the fast CPU path (`auto`: packed weights, SIMD micro-kernels,
issue 6); PyTorch runs in this process (torch.set_num_threads). They alternate, so all see the
same machine load. `--repeats N` repeats every measurement N times and reports the median.
Patches: v[n,c,y,x] = 0.5 + 0.5 sin(0.07 (x+1) (n%17+1) + 0.11 y (c+1) + 0.3 n), as in the
Rust example. Weights: seeded Kaiming-uniform from lsar (`descriptor_bench weights`), read here
with a few lines of safetensors parsing. Prints a Markdown table for bench/README.md.
"""
import argparse
import json
import os
import resource
import struct
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", meta
        a, b = meta["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(meta["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def patches(n):
    i, c, y, x = np.meshgrid(np.arange(n), np.arange(3), np.arange(64), np.arange(64), indexing="ij")
    arg = 0.07 * (x + 1) * ((i % 17) + 1) + 0.11 * y * (c + 1) + 0.3 * i
    return torch.from_numpy((0.5 + 0.5 * np.sin(arg)).astype(np.float32))


def forward(w, x, branch="photo"):
    flat = x.reshape(x.shape[0], -1)
    mean = flat.mean(dim=1).view(-1, 1, 1, 1)
    std = flat.std(dim=1).view(-1, 1, 1, 1)  # unbiased, as HardNet's input_norm
    x = (x - mean) / (std + 1e-7)
    for i in range(1, 5):
        x = F.relu(F.conv2d(x, w[f"{branch}.conv{i}.weight"], w[f"{branch}.conv{i}.bias"], stride=2))
    x = F.relu(F.conv2d(x, w["head.conv.weight"], w["head.conv.bias"], stride=2)).flatten(1)
    x = F.linear(x, w["head.fc.weight"], w["head.fc.bias"])
    return F.normalize(x, dim=1)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_lsar(binary, threads, *args):
    """Runs the example; adds "cpu_s", the child's user + system CPU seconds (whole process)."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    c0 = children_cpu()
    out = subprocess.run([binary, *map(str, args)], env=env, check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["cpu_s"] = children_cpu() - c0
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/examples/descriptor_bench")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--skip-matching", action="store_true")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    load0 = os.getloadavg()
    weights = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    subprocess.run([args.bin, "weights", weights, "1"], check=True)
    w = load_safetensors(weights)

    # Same output? (first 4 descriptors of the batch.)
    ref = forward(w, patches(4)).numpy()
    for backend in ("candle", "auto"):
        res = run_lsar(args.bin, 2, "describe", weights, 4, 1, "f32", backend)
        got = np.array(res["first4"]).reshape(4, 128)
        print(f"max |torch - lsar {backend}| over 4 descriptors: {np.abs(ref - got).max():.2e}"
              f" (SIMD level {res['simd']})")

    def torch_rate(x, batch):
        c0 = time.process_time()
        forward(w, x)  # warm-up
        t0, c1 = time.perf_counter(), time.process_time()
        for _ in range(args.iters):
            forward(w, x)
        wall = time.perf_counter() - t0
        return batch * args.iters / wall, batch * args.iters / (time.process_time() - c1)

    def lsar_rate(batch, threads, backend):
        res = run_lsar(args.bin, threads, "describe", weights, batch, args.iters, "f32", backend)
        cpu = res.get("cpu_seconds_per_batch", -1)
        return res["patches_per_s"], (batch / cpu if cpu > 0 else float("nan"))

    med = lambda v: float(np.median(v))
    rows = []
    for batch, threads in ((256, 1), (256, 2), (1024, 1), (1024, 2), (1000, 1)):
        x = patches(batch)
        torch.set_num_threads(threads)
        m = {"candle": [], "fast": [], "torch": []}
        for _ in range(args.repeats):
            m["torch"].append(torch_rate(x, batch))
            m["candle"].append(lsar_rate(batch, threads, "candle"))
            m["fast"].append(lsar_rate(batch, threads, "auto"))
        rows.append((batch, threads, {k: (med([a for a, _ in v]), med([c for _, c in v])) for k, v in m.items()}))
    print(f"torch {torch.__version__}, numpy {np.__version__}, {args.iters} iterations after a warm-up, "
          f"median of {args.repeats}, load average before/after: {load0} / {os.getloadavg()}")
    print("| batch | threads | lsar candle patches/s | lsar fast patches/s | PyTorch patches/s "
          "| fast / PyTorch | fast / candle | fast patches/CPU-s | PyTorch patches/CPU-s | fast / PyTorch (CPU) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for b, t, r in rows:
        (c, _), (f, fc), (p, pc) = r["candle"], r["fast"], r["torch"]
        print(f"| {b} | {t} | {c:.0f} | {f:.0f} | {p:.0f} | {f / p:.2f} | {f / c:.2f} | {fc:.0f} | {pc:.0f} | {fc / pc:.2f} |")

    if args.skip_matching:
        return
    rng = np.random.default_rng(1)
    q = rng.uniform(-1, 1, (5000, 128)).astype(np.float32)
    t = rng.uniform(-1, 1, (60000, 128)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    numpy_s, lsar_s, numpy_cpu, lsar_cpu = [], [], [], []
    for _ in range(3):  # alternate; keep the best of each (the machine is shared)
        c0, t0 = time.process_time(), time.perf_counter()
        np.argmax(q @ t.T, axis=1)  # max similarity = min distance for unit vectors
        numpy_s.append(time.perf_counter() - t0)
        numpy_cpu.append(time.process_time() - c0)
        res = run_lsar(args.bin, 2, "match", 5000, 60000, 1)  # one warm-up + one timed run
        lsar_s.append(res["seconds"])
        lsar_cpu.append(res["cpu_s"] / 2)
    n, l, nc, lc = min(numpy_s), min(lsar_s), min(numpy_cpu), min(lsar_cpu)
    print("| matching 5000 x 60000, best of 3 | lsar s | NumPy s | NumPy / lsar "
          "| lsar CPU-s | NumPy CPU-s | NumPy / lsar (CPU) |")
    print("|---|---|---|---|---|---|---|")
    print(f"| 2 threads | {l:.3f} | {n:.3f} | {n / l:.2f} | {lc:.2f} | {nc:.2f} | {nc / lc:.2f} |")


if __name__ == "__main__":
    main()
