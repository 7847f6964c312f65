#!/usr/bin/env bash
# The baseline neural adaptation must beat: llvm-mca-19's LLVM CPU models
# (through `surrogate simulate`) against throughputs measured on this host.
# Usage: tools/mca_baseline.sh MEASURED.csv [CPU...]
#   (default CPUs: znver4 znver3 znver2 haswell skylake icelake-server alderlake)
# Simulations go to build/baseline/CPU.csv (reused when present); the
# evaluation tables (overall, per block kind, length and application) to
# build/baseline/CPU.md; a one-line summary per CPU to standard output.
set -euo pipefail
MEASURED=$1
shift
CPUS=${*:-znver4 znver3 znver2 haswell skylake icelake-server alderlake}
BIN=${SURROGATE:-build/bin/surrogate}
SOURCES=${SOURCES:-../shared/data/bhive-blocks.csv}
OUT=${BASELINE_OUT:-build/baseline}
mkdir -p "$OUT"
for cpu in $CPUS; do
  [ -s "$OUT/$cpu.csv" ] || "$BIN" simulate -mcpu="$cpu" "$MEASURED" -o "$OUT/$cpu.csv" 2>/dev/null
  "$BIN" evaluate --labels "$MEASURED" --predictions "$OUT/$cpu.csv" --sources "$SOURCES" --title "$cpu" > "$OUT/$cpu.md"
  grep -m1 "^| $cpu " "$OUT/$cpu.md"
done
