#!/usr/bin/env bash
# Benchmark: single-thread speed of `surrogate simulate` against the llvm-mca-19
# binary on the same blocks, in the same run (hyperfine), and scaling with --jobs.
# Usage: tools/bench_simulate.sh [CPU] [BLOCKS]   (defaults: haswell, 10000)
# Blocks: a seeded sample of ../shared/data/bhive-blocks.csv (seed 7), not the
# shipped one. Results: build/bench/simulate-*.md (hyperfine's tables).
set -euo pipefail
CPU=${1:-haswell}
N=${2:-10000}
BIN=${SURROGATE:-build/bin/surrogate}
OUT=${BENCH_OUT:-build/bench}
mkdir -p "$OUT"
python3 tools/make_sample.py --seed 7 --size "$N" --output "$OUT/blocks.csv" 2>/dev/null
"$BIN" disasm --mca-regions "$OUT/blocks.csv" -o "$OUT/blocks.s"
blocks=$(($(wc -l < "$OUT/blocks.csv") - 1))
echo "$blocks blocks, -mcpu=$CPU, 100 iterations"
hyperfine --warmup 1 --runs 5 --export-markdown "$OUT/simulate-1thread.md" \
  -n "surrogate simulate --jobs=1" "$BIN simulate -mcpu=$CPU --jobs=1 $OUT/blocks.csv -o /dev/null" \
  -n "llvm-mca-19 (summary view only)" \
     "llvm-mca-19 -mtriple=x86_64-unknown-linux-gnu -mcpu=$CPU -iterations=100 -instruction-info=0 -resource-pressure=0 $OUT/blocks.s" \
  -n "llvm-mca-19 (default views)" \
     "llvm-mca-19 -mtriple=x86_64-unknown-linux-gnu -mcpu=$CPU -iterations=100 $OUT/blocks.s"
hyperfine --warmup 1 --runs 5 --export-markdown "$OUT/simulate-jobs.md" \
  -n "simulate jobs=1" "$BIN simulate -mcpu=$CPU --jobs=1 $OUT/blocks.csv -o /dev/null" \
  -n "simulate jobs=2" "$BIN simulate -mcpu=$CPU --jobs=2 $OUT/blocks.csv -o /dev/null"
# One llvm-mca process per block, as per-block labelling scripts run it (first 200 blocks).
head -201 "$OUT/blocks.csv" > "$OUT/blocks200.csv"
"$BIN" disasm "$OUT/blocks200.csv" | awk -v dir="$OUT/per-block" 'BEGIN{system("mkdir -p " dir)} /^# /{n++; f=dir "/" n ".s"; next} NF{print > f}'
hyperfine --warmup 1 --runs 3 --export-markdown "$OUT/simulate-per-block.md" \
  -n "surrogate simulate (200 blocks, one process)" "$BIN simulate -mcpu=$CPU --jobs=1 $OUT/blocks200.csv -o /dev/null" \
  -n "llvm-mca-19 (200 blocks, one process each)" \
     "for f in $OUT/per-block/*.s; do llvm-mca-19 -mtriple=x86_64-unknown-linux-gnu -mcpu=$CPU -iterations=100 \$f >/dev/null; done"
