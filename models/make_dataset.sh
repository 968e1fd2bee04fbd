#!/usr/bin/env bash
# Regenerates the random-pixel pair shards of the first trained model (the lsar-desc-v1 of
# commit 5679c5f, since replaced by the two-detector model; see models/README.md).
# Usage: models/make_dataset.sh OUT_DIR [LSAR_BINARY]
# Training terrain: the SRTM tile N44E005 and procedural seeds 0-3, 5-8, 10, 11 (seed % 5 != 4).
# Validation terrain (unseen, held-out photo palette): procedural seeds 4, 9, 14.
set -euo pipefail
out=${1:?output directory}
lsar=${2:-lsar}
data=${LSAR_SHARED_DATA:-$(dirname "$0")/../../shared/data}
pp=300
"$lsar" dataset pairs --dem "$data/dem/srtm3_N44E005/N44E005.hgt" --out "$out" \
  --pairs 100 --per-pair $pp --seed 1 &
for s in 0 1 2 3 5 6 7 8 10 11; do
  "$lsar" dataset pairs --synth $s --out "$out" --pairs 22 --per-pair $pp --seed 1
done
for s in 4 9 14; do
  "$lsar" dataset pairs --synth $s --out "$out" --pairs 12 --per-pair $pp --seed 1
done
wait
