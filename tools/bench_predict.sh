#!/usr/bin/env bash
# Benchmark: single-thread speed of `surrogate predict` (the LibTorch-free
# runtime) against `surrogate simulate` (in-process llvm-mca) on the same
# blocks, in the same run (hyperfine), and predict's own inference rate and
# cache hit rates (--stats: inference alone, without process start-up and
# decoding, which both commands share).
# Usage: tools/bench_predict.sh MODEL.srg [BLOCKS] [CPU]   (defaults: data/bhive-sample.csv, haswell)
# A random model of a given size (same cost as a trained one):
#   build/bin/surrogate_random_model --width 64 --depth 1 -o w64.srg data/bhive-sample.csv
# Results: build/bench/predict-*.md (hyperfine's tables) and predict-stats.txt.
set -euo pipefail
MODEL=${1:?usage: tools/bench_predict.sh MODEL.srg [BLOCKS] [CPU]}
BLOCKS=${2:-data/bhive-sample.csv}
CPU=${3:-haswell}
BIN=${SURROGATE:-build/bin/surrogate}
OUT=${BENCH_OUT:-build/bench}
mkdir -p "$OUT"
blocks=$(($(grep -c . "$BLOCKS") - 1))
echo "$blocks blocks ($BLOCKS), model $MODEL, -mcpu=$CPU"
for kernels in scalar avx2 avx512 auto; do
  "$BIN" predict --model "$MODEL" --jobs=1 --kernels=$kernels --stats "$BLOCKS" -o /dev/null 2>&1 || true
done | tee "$OUT/predict-stats.txt"
# One thread (the 100x target), then all cores; -N: no shell between.
hyperfine -N --warmup 2 --runs 10 --export-markdown "$OUT/predict-1thread.md" \
  -n "surrogate predict --jobs=1" "$BIN predict --model $MODEL --jobs=1 $BLOCKS -o /dev/null" \
  -n "surrogate simulate -mcpu=$CPU --jobs=1" "$BIN simulate -mcpu=$CPU --jobs=1 $BLOCKS -o /dev/null" \
  -n "surrogate disasm (start-up and decoding only)" "$BIN disasm $BLOCKS -o /dev/null"
jobs=$(nproc)
hyperfine -N --warmup 1 --runs 5 --export-markdown "$OUT/predict-all-cores.md" \
  -n "surrogate predict --jobs=$jobs" "$BIN predict --model $MODEL --jobs=$jobs $BLOCKS -o /dev/null" \
  -n "surrogate simulate -mcpu=$CPU --jobs=$jobs" "$BIN simulate -mcpu=$CPU --jobs=$jobs $BLOCKS -o /dev/null"
