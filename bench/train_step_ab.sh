#!/usr/bin/env bash
# Seconds per training step of two lsar binaries on the same shards, alternating: each runs
# 3 and 13 steps (random init, batch BATCH) and the difference over 10 steps is printed, so
# loading the shards and the step-0 validation cancel out.
# Usage: bench/train_step_ab.sh OLD_LSAR NEW_LSAR SHARD_DIR BATCH REPS
# SHARD_DIR needs train and val shards (`lsar dataset pairs`); six train shards are enough.
set -euo pipefail
old=${1:?old lsar} new=${2:?new lsar} data=${3:?shards} batch=${4:-128} reps=${5:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for rep in $(seq "$reps"); do
  for bin in "$old" "$new"; do
    t=()
    for n in 3 13; do
      s=$(date +%s.%N)
      "$bin" train --data "$data" --out "$work/run-$rep-$n-$RANDOM" --recipe cpu-short \
        --batch "$batch" --steps "$n" --warmup 1 --val-every 100000 --val-samples 100 \
        --seed 1 >/dev/null 2>&1
      e=$(date +%s.%N)
      t+=("$(awk "BEGIN { print $e - $s }")")
    done
    echo "$bin rep $rep: $(awk "BEGIN { printf \"%.3f\", (${t[1]} - ${t[0]}) / 10 }") s/step"
  done
done
