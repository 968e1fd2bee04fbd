#!/usr/bin/env bash
# One time-boxed run on a many-core machine: renders two-detector pairs on procedural seeds
# that no earlier stage saw (and N44E005 with new pair seeds), then fine-tunes from a
# weights file on that data alone at LandscapeAR's batch of 300, with a cosine schedule sized
# to the time left. Run once on a 16-core machine (models/README.md, "Training on many
# cores"); its model was not kept.
# Usage: models/train_wide.sh OUT LSAR HGT INIT GEN_SECONDS TOTAL_SECONDS
# OUT receives the weights, the optimiser state, the logs and a shard manifest; the shards
# stay in $WORK (default /tmp/lsar-wide). Validation uses the usual held-out seeds 4, 9, 14
# (pair seed 3, the same as make_dataset_both.sh), regenerated here.
set -uo pipefail
out=${1:?out} lsar=${2:?lsar} hgt=${3:?hgt} init=${4:?init} gen_s=${5:?gen} total_s=${6:?total}
work=${WORK:-/tmp/lsar-wide}
start=$(date +%s)
data=$work/data run=$work/run
mkdir -p "$data" "$out"
jobs() {
  for s in 4 9 14; do echo "--synth $s --pairs 20 --seed 3"; done
  for p in 6 7 8 9; do echo "--dem $hgt --pairs 40 --seed $p"; done
  for s in $(seq 22 ${MAX_SEED:-99}); do
    [ $((s % 5)) -ne 4 ] && echo "--synth $s --pairs ${PAIRS:-40} --seed 3"
  done
}
# Each job gets the time left before the generation deadline; a stopped job keeps its
# finished shards (they are written under a temporary name and renamed).
export lsar data gen_deadline=$((start + gen_s))
jobs | RAYON_NUM_THREADS=1 xargs -P "$(nproc)" -L1 sh -c '
  t=$((gen_deadline - $(date +%s)))
  [ "$t" -gt 5 ] && timeout "$t" "$lsar" dataset pairs --sampling both --per-pair 300 --out "$data" "$@" >/dev/null 2>&1
  true' job
(cd "$data" && ls -l *.safetensors) >"$out/manifest.txt"
echo "generation: $(ls "$data"/*train*.safetensors | wc -l) train shards, $(ls "$data"/*val*.safetensors | wc -l) val shards, $(($(date +%s) - start)) s"

# Step time, measured on a few shards, sizes the schedule.
probe=$work/probe
mkdir -p "$probe/data"
for f in $(ls "$data"/*train*.safetensors | head -6) "$data"/*val*.safetensors; do ln -sf "$f" "$probe/data/"; done
train() { "$lsar" train --recipe cpu-short --init "$init" --hardest --batch "${BATCH:-300}" --seed 1 --val-samples 1000 "$@"; }
t0=$(date +%s.%N)
train --data "$probe/data" --out "$probe/run" --steps 10 --warmup 1 --val-every 100000 --lr 1e-9 >/dev/null 2>&1
t1=$(date +%s.%N)
t2=$(date +%s.%N)
train --data "$probe/data" --out "$probe/run2" --steps 30 --warmup 1 --val-every 100000 --lr 1e-9 >/dev/null 2>&1
t3=$(date +%s.%N)
per_step=$(awk "BEGIN { print (($t3 - $t2) - ($t1 - $t0)) / 20 }")
left=$((start + total_s - $(date +%s)))
# Loading the shards and five validations are budgeted at a fifth of the time left.
steps=$(awk "BEGIN { s = int($left * 0.8 / $per_step); print (s > 100 ? s : 100) }")
echo "probe: $per_step s per step, $left s left, $steps steps"
timeout $((left - 10)) "$lsar" train --recipe cpu-short --init "$init" --hardest --batch "${BATCH:-300}" \
  --seed 1 --val-samples 1000 --data "$data" --out "$run" --steps "$steps" --warmup 50 \
  --lr "${LR:-6e-5}" --val-every $((steps / 4 + 1)) 2>&1 | tr '\r' '\n' | grep -v '^\s*$' | tail -40
cp "$run"/checkpoint/* "$run"/*.jsonl "$out"/ 2>/dev/null
echo "total: $(($(date +%s) - start)) s"
