"""Independent NumPy forward pass of HardTFeat, producing hardtfeat_golden.json.

Run from this folder:  python3 hardtfeat_golden.py ../../../../../shared/data/descriptors/hardtfeat.npz
(numpy only). The Rust test `hardtfeat::matches_numpy_golden` rebuilds the same input patches
from the formula below and compares its descriptors with the ones written here.

Pipeline (as lsar-vision documents it): 64x64 RGB patch in [0, 1] -> 2x2 area average
(32x32) -> grey 0.299 R + 0.587 G + 0.114 B -> (x - mean) / (std + 1e-7) with the unbiased std
-> Conv(1,32,7) + tanh -> MaxPool 2 -> Conv(32,64,6) + tanh -> Conv(64,128,8) + tanh -> L2.
"""
import json
import sys

import numpy as np

N = 4


def patch(n):
    c, y, x = np.meshgrid(np.arange(3), np.arange(64), np.arange(64), indexing="ij")
    arg = 0.07 * (x + 1) * (n + 1) + 0.11 * y * (c + 1) + 0.3 * n
    return (0.5 + 0.5 * np.sin(arg)).astype(np.float32)


def conv_valid(x, w, b):
    """x: C x H x W, w: O x C x K x K -> O x (H-K+1) x (W-K+1), direct correlation."""
    o, c, k, _ = w.shape
    h, wd = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.empty((o, h, wd))
    for i in range(h):
        for j in range(wd):
            window = x[:, i:i + k, j:j + k]
            out[:, i, j] = np.tensordot(w, window, axes=([1, 2, 3], [0, 1, 2]))
    return out + b[:, None, None]


def main(path):
    z = np.load(path)
    w = {k: z[k].astype(np.float64) for k in z.files}
    out = []
    for n in range(N):
        p = patch(n).astype(np.float64)
        small = p.reshape(3, 32, 2, 32, 2).mean(axis=(2, 4))
        grey = 0.299 * small[0] + 0.587 * small[1] + 0.114 * small[2]
        x = (grey - grey.mean()) / (grey.std(ddof=1) + 1e-7)
        x = np.tanh(conv_valid(x[None], w["state_dict.features.0.weight"], w["state_dict.features.0.bias"]))
        x = x.reshape(32, 13, 2, 13, 2).max(axis=(2, 4))
        x = np.tanh(conv_valid(x, w["state_dict.features.3.weight"], w["state_dict.features.3.bias"]))
        x = np.tanh(conv_valid(x, w["state_dict.classifier.1.weight"], w["state_dict.classifier.1.bias"]))
        d = x.reshape(-1)
        d = d / np.linalg.norm(d)
        out.append([float(f"{v:.7g}") for v in d])
    doc = {
        "what": "HardTFeat descriptors of 4 synthetic 64x64 RGB patches, NumPy float64 forward",
        "patch_formula": "v[n,c,y,x] = f32(0.5 + 0.5 sin(0.07 (x+1) (n+1) + 0.11 y (c+1) + 0.3 n)), f64 arithmetic",
        "generator": "hardtfeat_golden.py",
        "descriptors": out,
    }
    with open("hardtfeat_golden.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
