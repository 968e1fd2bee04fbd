#!/usr/bin/env bash
# Regenerates the two-detector shards behind models/lsar-desc-v1 (sampling `both`: the
# Localizer's photo keypoints of view A and the pack detector's keypoints of view B).
# Usage: models/make_dataset_both.sh OUT_DIR [LSAR_BINARY]
# Same terrain split as models/make_dataset.sh: training on N44E005 and procedural seeds with
# seed % 5 != 4; validation (held-out photo palette) on seeds 4, 9, 14. The second block
# (pair seed 5) is the part of a larger run that was finished when training started; its
# pair counts are what that run had written (8 pairs per shard). The third block (procedural
# seeds 12-21, pair seed 3) was added for stage 5 of the training (checkpoints/
# lsar-desc-v1-stage5), not for the shipped model. The fourth and fifth blocks (procedural
# seeds 22-79 and 80-139, 40 pairs each, pair seed 3) were added for stages 6 and 7.
set -euo pipefail
out=${1:?output directory}
lsar=${2:-lsar}
data=${LSAR_SHARED_DATA:-$(dirname "$0")/../../shared/data}
hgt="$data/dem/srtm3_N44E005/N44E005.hgt"
gen() { "$lsar" dataset pairs --sampling both --per-pair 300 --out "$out" "$@"; }
for s in 4 9 14; do gen --synth $s --pairs 20 --seed 3; done
gen --dem "$hgt" --pairs 250 --seed 3
gen --dem "$hgt" --pairs 250 --seed 4
for s in 0 1 2 3 5 6 7 8 10 11; do gen --synth $s --pairs 80 --seed 3; done
gen --dem "$hgt" --pairs 144 --seed 5
gen --synth 0 --pairs 50 --seed 5
gen --synth 1 --pairs 50 --seed 5
gen --synth 2 --pairs 40 --seed 5
for s in 12 13 15 16 17 18 20 21; do gen --synth $s --pairs 80 --seed 3; done
for s in $(seq 22 139); do [ $((s % 5)) -ne 4 ] && gen --synth "$s" --pairs 40 --seed 3; done
# The stage-8 candidate (checkpoints/lsar-desc-v1/stage8-candidate.safetensors, not shipped)
# also used seeds 140-199 and left out seeds 22-79 (memory):
# for s in $(seq 140 199); do [ $((s % 5)) -ne 4 ] && gen --synth "$s" --pairs 40 --seed 3; done
# Near-ground blocks (session 8; models/README.md "Near-ground pairs"): both views 2-60 m
# above the ground, 50-1000 m apart, view B aimed at terrain 300-2500 m from view A, the
# geometry of a photo taken near the ground against a pack viewpoint of the 1 km grid. The
# validation block goes into its own directory (its shard names equal the validation
# shards' above).
# val_block DIR ARGS...: the validation seeds of a block with its own geometry ARGS.
val_block() {
  local dir=$1; shift
  for s in 4 9 14; do
    "$lsar" dataset pairs --sampling both --per-pair 300 --out "$dir" "$@" --synth $s --pairs 20 --seed 3
  done
}
near=(--height-m 2 60 --baseline-m 50 1000 --target-depth-m 300 2500)
val_block "$out-near-val" "${near[@]}"
gen "${near[@]}" --dem "$hgt" --pairs 120 --seed 6
gen "${near[@]}" --dem "$hgt" --pairs 120 --seed 7
for s in $(seq 200 259); do [ $((s % 5)) -ne 4 ] && gen "${near[@]}" --synth "$s" --pairs 40 --seed 3; done
for s in $(seq 260 319); do [ $((s % 5)) -ne 4 ] && gen "${near[@]}" --synth "$s" --pairs 40 --seed 3; done
# Mid-distance block (session 10; models/README.md "Mid-distance pairs"; not used by the
# shipped model): the near-ground heights and baselines, view B aimed at terrain 2-5 km from
# view A, the depth band whose repeatable keypoints match least in `lsar eval --diagnose`.
mid=(--height-m 2 60 --baseline-m 50 1000 --target-depth-m 2000 5000)
val_block "$out-mid-val" "${mid[@]}"
gen "${mid[@]}" --dem "$hgt" --pairs 120 --seed 8
for s in $(seq 320 379); do [ $((s % 5)) -ne 4 ] && gen "${mid[@]}" --synth "$s" --pairs 40 --seed 3; done
