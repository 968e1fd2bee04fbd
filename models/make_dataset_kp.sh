#!/usr/bin/env bash
# Regenerates the keypoint-sampled shards behind models/checkpoints/lsar-desc-kp.
# Usage: models/make_dataset_kp.sh OUT_DIR [LSAR_BINARY]
# Same terrain split as models/make_dataset.sh: training on N44E005 and procedural seeds with
# seed % 5 != 4; validation (held-out photo palette) on seeds 4, 9, 14. Pair seeds 1 and 2
# give different view pairs of the same regions.
set -euo pipefail
out=${1:?output directory}
lsar=${2:-lsar}
data=${LSAR_SHARED_DATA:-$(dirname "$0")/../../shared/data}
gen() { "$lsar" dataset pairs --sampling keypoints --per-pair 300 --out "$out" "$@"; }
gen --dem "$data/dem/srtm3_N44E005/N44E005.hgt" --pairs 100 --seed 1
for s in 0 1 2 3 5 6 7 8 10 11; do
  gen --synth $s --pairs 14 --seed 1
  gen --synth $s --pairs 24 --seed 2
done
for s in 4 9 14; do
  gen --synth $s --pairs 12 --seed 1
  gen --synth $s --pairs 16 --seed 2
done
