#!/usr/bin/env python3
"""Absolute pose: lsar against PoseLib, pycolmap and OpenCV on the same problems, same run.

Problems (pose-anchors.md section 3): 1000 correspondences, 1 px noise, 50/80/90 % outliers
(random pixels), "generic" scene, 1920x1080; threshold 4 px, confidence 0.9999, at most
100,000 iterations, one thread. Written and solved on the lsar side by the Rust example
`pose_problems`; the peers read the same JSON.

    CARGO_TARGET_DIR=target-pose cargo build --release -p lsar-geometry --example pose_problems
    pip install poselib pycolmap opencv-python-headless numpy
    python3 bench/pose_compare.py --bin target-pose/release/examples/pose_problems --trials 5

`--bin-ref OTHER` also runs an earlier build of the example on the same problems, interleaved,
so that a change is measured against its predecessor under the same load.
"""
import argparse
import json
import statistics
import subprocess
import tempfile
import time

import numpy as np


def rot_err_deg(R, R_gt):
    c = (np.trace(R @ R_gt.T) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def record(method, p, ms, R=None, t=None, f=None, inl=None):
    out = {"method": method, "outliers": p["outliers"], "seed": p["seed"], "ms": ms}
    if R is None:
        out["success"] = False
        return out
    R_gt, t_gt = np.array(p["R"]), np.array(p["t"])
    X = np.array(p["X"])
    c_gt = -R_gt.T @ t_gt
    c = -R.T @ t
    depth = float(np.median(np.linalg.norm(X - c_gt, axis=1)))
    out["rot_deg"] = rot_err_deg(R, R_gt)
    out["ctr_rel"] = float(np.linalg.norm(c - c_gt) / depth)
    out["f_rel"] = None if f is None else abs(f - p["focal"]) / p["focal"]
    if inl is not None:
        truth = np.array(p["inlier"], dtype=bool)
        inl = np.asarray(inl, dtype=bool)
        out["recall"] = float((inl & truth).sum() / max(truth.sum(), 1))
    out["success"] = out["rot_deg"] < 1.0 and (f is None or out["f_rel"] < 0.05)
    return out


def run_poselib(p):
    import poselib

    x, X = np.array(p["x"]), np.array(p["X"])
    cx, cy = p["principal_point"]
    cam = {"model": "SIMPLE_PINHOLE", "width": p["width"], "height": p["height"],
           "params": [p["focal"], cx, cy]}
    ransac = {"max_reproj_error": 4.0, "success_prob": 0.9999, "max_iterations": 100000}
    t0 = time.perf_counter()
    pose, info = poselib.estimate_absolute_pose(x, X, cam, ransac, {})
    ms = (time.perf_counter() - t0) * 1e3
    return record("poselib_p3p_known_f", p, ms, np.array(pose.R), np.array(pose.t), None,
                  info.get("inliers"))


def run_pycolmap(p, estimate_focal):
    import pycolmap

    x, X = np.array(p["x"]), np.array(p["X"])
    cx, cy = p["principal_point"]
    f0 = max(p["width"], p["height"]) if estimate_focal else p["focal"]
    cam = pycolmap.Camera(model="SIMPLE_PINHOLE", width=p["width"], height=p["height"],
                          params=[f0, cx, cy])
    est = pycolmap.AbsolutePoseEstimationOptions()
    est.estimate_focal_length = estimate_focal
    est.ransac.max_error = 4.0
    est.ransac.confidence = 0.9999
    est.ransac.max_num_trials = 100000
    ref = pycolmap.AbsolutePoseRefinementOptions()
    ref.refine_focal_length = estimate_focal
    t0 = time.perf_counter()
    res = pycolmap.estimate_and_refine_absolute_pose(x, X, cam, est, ref)
    ms = (time.perf_counter() - t0) * 1e3
    name = "pycolmap_p4pf_unknown_f" if estimate_focal else "pycolmap_p3p_known_f"
    if res is None:
        return record(name, p, ms)
    rig = res["cam_from_world"]
    R = np.array(rig.rotation.matrix())
    t = np.array(rig.translation)
    f = float(cam.params[0]) if estimate_focal else None
    return record(name, p, ms, R, t, f, res.get("inlier_mask"))


def run_opencv(p, usac):
    import cv2

    cv2.setNumThreads(1)
    x = np.array(p["x"], dtype=np.float64)
    X = np.array(p["X"], dtype=np.float64)
    cx, cy = p["principal_point"]
    K = np.array([[p["focal"], 0, cx], [0, p["focal"], cy], [0, 0, 1]], dtype=np.float64)
    t0 = time.perf_counter()
    if usac:
        params = cv2.UsacParams()
        params.threshold = 4.0
        params.confidence = 0.9999
        params.maxIterations = 100000
        ok, _, rvec, tvec, inl = cv2.solvePnPRansac(X, x, K, None, params=params)
        name = "opencv_usac_known_f"
    else:
        ok, rvec, tvec, inl = cv2.solvePnPRansac(
            X, x, K, None, iterationsCount=100000, reprojectionError=4.0, confidence=0.9999,
            flags=cv2.SOLVEPNP_AP3P)
        name = "opencv_ap3p_known_f"
    ms = (time.perf_counter() - t0) * 1e3
    if not ok:
        return record(name, p, ms)
    R, _ = cv2.Rodrigues(rvec)
    mask = np.zeros(len(x), dtype=bool)
    if inl is not None:
        mask[np.asarray(inl).ravel()] = True
    return record(name, p, ms, R, tvec.ravel(), None, mask)


def summarise(rows):
    methods = sorted({r["method"] for r in rows})
    levels = sorted({r["outliers"] for r in rows})
    table = {}
    for m in methods:
        for lv in levels:
            rs = [r for r in rows if r["method"] == m and r["outliers"] == lv]
            if not rs:
                continue
            ok = [r for r in rs if r.get("success")]
            med = lambda k: statistics.median([r[k] for r in ok if r.get(k) is not None]) if ok and any(r.get(k) is not None for r in ok) else float("nan")
            table[(m, lv)] = {"succ": f"{len(ok)}/{len(rs)}", "ms": statistics.median([r["ms"] for r in rs]),
                              "rot": med("rot_deg"), "ctr": med("ctr_rel"), "f": med("f_rel") * 100,
                              "recall": med("recall")}
    return methods, levels, table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target-pose/release/examples/pose_problems")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--offset", type=float, default=0.0)
    ap.add_argument("--skip", default="", help="comma-separated peers to skip")
    ap.add_argument("--bin-ref", default="",
                    help="a second pose_problems binary (e.g. an earlier build), run on the same "
                         "problems in the same loop and reported as lsarref_*")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    peers = [("poselib", run_poselib), ("pycolmap_unknown", lambda p: run_pycolmap(p, True)),
             ("pycolmap_known", lambda p: run_pycolmap(p, False)),
             ("opencv_ap3p", lambda p: run_opencv(p, False)), ("opencv_usac", lambda p: run_opencv(p, True))]
    broken = set()
    rows = []
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        subprocess.run([args.bin, "write", tmp.name, str(args.trials), str(args.offset)], check=True)
        problems = json.load(open(tmp.name))["problems"]
        # Interleaved per problem, so that load changes on a shared machine hit every method.
        for k, p in enumerate(problems):
            out = subprocess.run([args.bin, "solve", tmp.name, str(k)], check=True,
                                 capture_output=True, text=True)
            rows += [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
            if args.bin_ref:
                ref = subprocess.run([args.bin_ref, "solve", tmp.name, str(k)], check=True,
                                     capture_output=True, text=True)
                for line in ref.stdout.splitlines():
                    if line.strip():
                        r = json.loads(line)
                        r["method"] = r["method"].replace("lsar_", "lsarref_")
                        rows.append(r)
            for name, fn in peers:
                if name in skip or name in broken:
                    continue
                if name == "opencv_ap3p" and p["outliers"] > 0.85:
                    continue  # seconds per call; see pose-anchors.md 4A
                try:
                    rows.append(fn(p))
                except Exception as e:  # a peer's API may differ by version: report, go on
                    print(f"{name}: {type(e).__name__}: {e}")
                    broken.add(name)
    methods, levels, table = summarise(rows)
    print(f"\n{len(problems) // len(levels)} trials per level, offset {args.offset:g} m\n")
    print("| method | outl | succ | t_med ms | rot med deg | ctr rel | f rel % | inl recall | lsar time ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in methods:
        for lv in levels:
            if (m, lv) not in table:
                continue
            t = table[(m, lv)]
            ours = ("lsar_unknown_f" if "unknown" in m else "lsar_known_f", lv)
            ratio = table[ours]["ms"] / t["ms"] if ours in table and not m.startswith("lsar_") else float("nan")
            print(f"| {m} | {lv:.0%} | {t['succ']} | {t['ms']:.1f} | {t['rot']:.4f} | {t['ctr']:.1e} | "
                  f"{t['f']:.3f} | {t['recall']:.3f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
