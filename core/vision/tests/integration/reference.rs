//! An independent forward pass of the LandscapeAR network: direct convolution loops in f64,
//! written from DESIGN.md, sharing no code with the candle implementation.

use std::collections::HashMap;

use candle_core::Tensor;

pub struct RefNet {
    t: HashMap<String, (Vec<usize>, Vec<f64>)>,
}

/// A feature map: channels x height x width.
struct Map {
    c: usize,
    h: usize,
    w: usize,
    v: Vec<f64>,
}

impl RefNet {
    pub fn from_tensors(ts: &HashMap<String, Tensor>) -> Self {
        let t = ts
            .iter()
            .map(|(k, v)| {
                let v32 = v.to_dtype(candle_core::DType::F32).unwrap();
                let vals = v32.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                (k.clone(), (v.dims().to_vec(), vals.into_iter().map(f64::from).collect()))
            })
            .collect();
        Self { t }
    }

    fn conv_relu(&self, x: &Map, name: &str) -> Map {
        let (ws, w) = &self.t[&format!("{name}.weight")];
        let (_, b) = &self.t[&format!("{name}.bias")];
        let (co, ci, k) = (ws[0], ws[1], ws[2]);
        assert_eq!(ci, x.c);
        let (h, wd) = ((x.h - k) / 2 + 1, (x.w - k) / 2 + 1);
        let mut out = vec![0.0; co * h * wd];
        for o in 0..co {
            for y in 0..h {
                for xx in 0..wd {
                    let mut acc = b[o];
                    for i in 0..ci {
                        for ky in 0..k {
                            for kx in 0..k {
                                let wv = w[((o * ci + i) * k + ky) * k + kx];
                                acc += wv * x.v[(i * x.h + 2 * y + ky) * x.w + 2 * xx + kx];
                            }
                        }
                    }
                    out[(o * h + y) * wd + xx] = acc.max(0.0);
                }
            }
        }
        Map { c: co, h, w: wd, v: out }
    }

    /// One 3 x 64 x 64 patch -> unit descriptor.
    pub fn forward(&self, branch: &str, patch: &[f32]) -> Vec<f64> {
        let n = patch.len() as f64;
        let mean = patch.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = patch.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let std = var.sqrt() + 1e-7;
        let mut x =
            Map { c: 3, h: 64, w: 64, v: patch.iter().map(|&v| (v as f64 - mean) / std).collect() };
        for i in 1..=4 {
            x = self.conv_relu(&x, &format!("{branch}.conv{i}"));
        }
        x = self.conv_relu(&x, "head.conv");
        assert_eq!((x.h, x.w), (1, 1));
        let (fs, fw) = &self.t["head.fc.weight"];
        let (_, fb) = &self.t["head.fc.bias"];
        let mut y: Vec<f64> = (0..fs[0])
            .map(|o| fb[o] + (0..fs[1]).map(|i| fw[o * fs[1] + i] * x.v[i]).sum::<f64>())
            .collect();
        let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
        y.iter_mut().for_each(|v| *v /= norm);
        y
    }
}
