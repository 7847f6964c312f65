#!/usr/bin/env bash
# The main job on data shipped in the repo: simulate the BHive sample with
# LLVM 19's llvm-mca pipeline (in process) for a few CPU models and summarise.
# Usage: tools/demo.sh SURROGATE_BINARY "cpu1 cpu2 ..."
set -euo pipefail
BIN=${1:-build/bin/surrogate}
CPUS=${2:-haswell skylake znver4}
SAMPLE=data/bhive-sample.csv
OUT=${DEMO_OUT:-build/demo}
mkdir -p "$OUT"
blocks=$(($(wc -l < "$SAMPLE") - 1))
echo "surrogate demo: $blocks BHive basic blocks ($SAMPLE), llvm-mca-19 pipeline in process, 100 iterations"
echo
printf '%-10s %8s %8s %14s %14s %14s %10s\n' cpu simulated failed "median c/iter" "p10 c/iter" "p90 c/iter" "blocks/s"
for cpu in $CPUS; do
  start=$(date +%s.%N)
  "$BIN" simulate -mcpu="$cpu" "$SAMPLE" -o "$OUT/$cpu.csv" 2> "$OUT/$cpu.err"
  end=$(date +%s.%N)
  # throughput column: cycles per 100 iterations; shown per iteration.
  tail -n +2 "$OUT/$cpu.csv" | cut -d, -f2 | grep -v '^$' | sort -n > "$OUT/$cpu.sorted"
  n=$(wc -l < "$OUT/$cpu.sorted")
  pct() { sed -n "$(( ($1 * n + 99) / 100 ))p" "$OUT/$cpu.sorted"; }
  printf '%-10s %8d %8d %14.2f %14.2f %14.2f %10.0f\n' "$cpu" "$n" $((blocks - n)) \
    "$(echo "$(pct 50) / 100" | bc -l)" "$(echo "$(pct 10) / 100" | bc -l)" "$(echo "$(pct 90) / 100" | bc -l)" \
    "$(echo "$blocks / ($end - $start)" | bc -l)"
done
echo
echo "Per-block results: $OUT/<cpu>.csv (hex,throughput in cycles per 100 iterations)."
echo "Edit a CPU:   $BIN params dump -mcpu=haswell -o haswell.json   # then: simulate --params=haswell.json"
