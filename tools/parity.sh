#!/usr/bin/env bash
# Compares `surrogate simulate` with the llvm-mca-19 binary, block by block.
# Usage: tools/parity.sh CPU INPUT [SURROGATE_BINARY]
# Prints: blocks, blocks llvm-mca simulated, identical total cycles, and every mismatch.
set -euo pipefail
CPU=$1
INPUT=$2
BIN=${3:-build/bin/surrogate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BIN" disasm --mca-regions "$INPUT" -o "$T/blocks.s"
llvm-mca-19 -mtriple=x86_64-unknown-linux-gnu -mcpu="$CPU" -iterations=100 -instruction-info=0 \
  -resource-pressure=0 -skip-unsupported-instructions=any "$T/blocks.s" > "$T/mca.txt" 2>/dev/null || true
"$BIN" simulate -mcpu="$CPU" "$INPUT" -o "$T/ours.csv" 2>/dev/null
awk '/Code Region - /{r=$NF} /^Total Cycles:/{print r "," $3}' "$T/mca.txt" > "$T/mca.csv"
awk -F, -v cpu="$CPU" '
  NR == FNR { mca[$1] = $2; next }
  FNR == 1 { next }
  { i = FNR - 2; n++
    if (!(i in mca)) { missing++; next }
    if ($2 == "") { unsupported++; next }
    compared++
    if ($2 == mca[i]) same++; else { diff++; if (diff <= 20) printf "  mismatch: %s surrogate %s llvm-mca %s\n", $1, $2, mca[i] } }
  END { printf "%s: %d blocks, %d compared, %d identical (%.3f%%), %d differ, %d unsupported by surrogate, %d not simulated by llvm-mca\n",
        cpu, n, compared, same, compared ? 100 * same / compared : 0, diff, unsupported, missing }' "$T/mca.csv" "$T/ours.csv"
