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

# llvm-mca against throughputs measured on this repository's development machine.
MEASURED=$(ls data/measured/*.csv | head -1)
echo
echo "llvm-mca (znver4) against blocks measured on $(basename "$MEASURED" .csv), sample blocks only:"
"$BIN" evaluate --labels "$MEASURED" --predictions "$OUT/znver4.csv" --title "znver4" 2>/dev/null \
  | sed -n '/^| all/,/^$/p' | grep -v '^$' || echo "  (run with znver4 among the CPUs)"

# The neural surrogate: blocks from programs absent from the BHive data.
MODEL=models/haswell.srg
if [ -f "$MODEL" ]; then
  HELD=data/heldout-elf.csv
  echo
  echo "Neural surrogate $MODEL against llvm-mca haswell on $(($(wc -l < "$HELD") - 1)) blocks of programs absent from BHive ($HELD), one thread each:"
  t0=$(date +%s.%N); "$BIN" simulate -mcpu=haswell --jobs=1 "$HELD" -o "$OUT/heldout-simulated.csv" 2>/dev/null; t1_sim=$(date +%s.%N)
  # predict takes tens of milliseconds: the best of three runs (the first also pays for cold caches).
  best=""
  for run in 1 2 3; do
    t1=$(date +%s.%N); "$BIN" predict --model "$MODEL" --jobs=1 "$HELD" -o "$OUT/heldout-predicted.csv"; t2=$(date +%s.%N)
    took=$(echo "$t2 - $t1" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$took < $best" | bc -l)" = 1 ]; then best=$took; fi
  done
  printf '  simulate: %.2f s, predict: %.3f s, best of 3 (%.0fx, whole processes; BENCHMARKS.md has the careful figure)\n' \
    "$(echo "$t1_sim - $t0" | bc -l)" "$best" "$(echo "($t1_sim - $t0) / $best" | bc -l)"
  "$BIN" evaluate --labels "$OUT/heldout-simulated.csv" --predictions "$OUT/heldout-predicted.csv" \
    --sources "$HELD" --title "surrogate" | sed -n '/^| application/,$p'
  KERNELS=data/kernels/handwritten.s
  "$BIN" simulate -mcpu=haswell "$KERNELS" -o "$OUT/kernels-simulated.csv" 2>/dev/null
  echo
  echo "The same on $(($(wc -l < "$OUT/kernels-simulated.csv") - 1)) hand-written loop bodies ($KERNELS: dependency chains, reductions, pointer chasing, divisions):"
  "$BIN" predict --model "$MODEL" "$KERNELS" -o "$OUT/kernels-predicted.csv" 2>/dev/null
  "$BIN" evaluate --labels "$OUT/kernels-simulated.csv" --predictions "$OUT/kernels-predicted.csv" --title "surrogate" \
    | sed -n '/^| all/,/^$/p' | grep -v '^$'
fi
# Neural adaptation: a surrogate fine-tuned on one host's measurements against
# llvm-mca on held-out programs measured on that host (none of them trained on).
for ADAPTED in models/*.srg; do  # an adapted model is named after its host
  [ -f "$ADAPTED" ] || continue
  HOST=$(basename "$ADAPTED" .srg)
  HELD_MEASURED=data/measured/$HOST-heldout.csv
  [ -f "$HELD_MEASURED" ] || continue
  echo
  echo "Adapted surrogate $ADAPTED against llvm-mca on $(($(wc -l < "$HELD_MEASURED") - 1)) blocks of held-out programs measured on $HOST:"
  "$BIN" predict --model "$ADAPTED" "$HELD_MEASURED" -o "$OUT/$HOST-adapted.csv" 2>/dev/null
  printf '| %-44s | %6s | %8s | %6s | %8s |\n' predictor blocks MAPE tau p50
  printf '|:%s|%s:|%s:|%s:|%s:|\n' "$(printf -- '-%.0s' {1..45})" "-------" "---------" "-------" "---------"
  # The host's own LLVM model; znver2 was the best LLVM model on both hosts'
  # held-out blocks (BENCHMARKS.md sections 14 and 15).
  case "$HOST" in
    authenticamd-f26-*) OWN=znver5 ;;
    authenticamd-f25-m1[0-9a-f]-*|authenticamd-f25-m9[0-9a-f]-*) OWN=znver4 ;;
    authenticamd-f25-*) OWN=znver3 ;;
    *) OWN=sapphirerapids ;;
  esac
  for cpu in znver2 $OWN; do
    "$BIN" simulate -mcpu="$cpu" "$HELD_MEASURED" -o "$OUT/$HOST-$cpu.csv" 2>/dev/null
  done
  # llvm-mca with $OWN's parameters tuned to this host (surrogate tune; params/README.md).
  TUNED=params/$HOST-$OWN.json
  tuned_row=()
  if [ -f "$TUNED" ]; then
    "$BIN" simulate --params "$TUNED" "$HELD_MEASURED" -o "$OUT/$HOST-tuned.csv" 2>/dev/null
    tuned_row=("llvm-mca -mcpu=$OWN, tuned (params/):$OUT/$HOST-tuned.csv")
  fi
  for pred in "llvm-mca -mcpu=znver2 (best LLVM model here):$OUT/$HOST-znver2.csv" \
              "llvm-mca -mcpu=$OWN (the host's):$OUT/$HOST-$OWN.csv" \
              "${tuned_row[@]}" \
              "adapted surrogate:$OUT/$HOST-adapted.csv"; do
    "$BIN" evaluate --labels "$HELD_MEASURED" --predictions "${pred#*:}" 2>/dev/null |
      awk -F'|' -v name="${pred%%:*}" '/^\| predictions / && !done { for (i = 4; i <= 6; i++) gsub(/ /, "", $i)
        printf "| %-44s | %6s | %8s | %6s | %8s |\n", name, $3 + 0, $4, $5, $6; done = 1 }'
  done
done
echo
echo "Edit a CPU:   $BIN params dump -mcpu=haswell -o haswell.json   # then: simulate --params=haswell.json"
