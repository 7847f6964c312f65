#!/usr/bin/env bash
# The fine-tuning set of the shipped models' last step (issue 14): 90,000
# random blocks of the training set (tools/make_training_set.sh, seed 5) and
# 10,000 blocks of `surrogate synth` (seed 21), labelled by the simulator;
# with --census also `surrogate synth --census` (seed 22: every opcode the
# CPU's model schedules as a chain of one, a chain of two and four
# independent instances). REAL=N takes N blocks of the training set (default
# 90000); FORKS=N adds N blocks of `surrogate synth --fork-join` (seed 23:
# chains through register copies, xorshift's shape). No block of an
# evaluation set (build/eval/*.csv) goes in:
#
#   tools/make_synth_mix.sh CPU [--census]  -> build/synth-mix-CPU.labels
#                                              (build/synth-census-mix-CPU.labels;
#                                              REAL=N: build/synth-...-CPU-N.labels,
#                                              FORKS=N: ...-forksN.labels)
#   surrogate train --labels build/synth-mix-CPU.labels --init build/train/hasv3.srg (znvv3) \
#     --lr 0.0003 --epochs 6 --patience 3 -o build/train/hasv3s (see models/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=${1:?usage: tools/make_synth_mix.sh CPU [--census]}
CENSUS=${2:-}
REAL=${REAL:-90000}  # blocks of the training set in the mix
FORKS=${FORKS:-0}    # fork-join blocks in the mix
BIN=${SURROGATE:-build/bin/surrogate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BIN" synth -mcpu="$CPU" -n 10000 --seed 21 -o "$T/synth.csv"
OUT=build/synth-mix-$CPU.labels
if [ "$CENSUS" = --census ]; then
  "$BIN" synth -mcpu="$CPU" --census --seed 22 -o "$T/census.csv"
  OUT=build/synth-census-mix-$CPU.labels
else
  echo "hex,sources" > "$T/census.csv"
fi
[ "$REAL" = 90000 ] || OUT=${OUT%.labels}-$REAL.labels
echo "hex,sources" > "$T/forks.csv"
if [ "$FORKS" != 0 ]; then
  "$BIN" synth -mcpu="$CPU" --fork-join -n "$FORKS" --seed 23 -o "$T/forks.csv"
  OUT=${OUT%.labels}-forks$FORKS.labels
fi
python3 - "$T/synth.csv" "$T/census.csv" "$T/forks.csv" "$T/mix.csv" "$REAL" <<'PY'
import csv, glob, random, sys
csv.field_size_limit(1 << 30)
synth, census, forks, out, real = sys.argv[1:]
rows = list(csv.DictReader(open("build/training-blocks.csv")))
random.Random(5).shuffle(rows)
evaluation = set()
for path in glob.glob("build/eval/*.csv"):
    if not path.endswith(".pred.csv"):
        evaluation |= {r["hex"] for r in csv.DictReader(open(path))}
left_out = 0
with open(out, "w") as f:
    f.write("hex,sources\n")
    for r in rows[:int(real)]:
        f.write(f"{r['hex']},{r['sources']}\n")
    for path in (synth, census, forks):
        for r in csv.DictReader(open(path)):
            if r["hex"] in evaluation:
                left_out += 1
            else:
                f.write(f"{r['hex']},{r['sources']}\n")
print(f"synthesized blocks in an evaluation set, left out: {left_out}", file=sys.stderr)
PY
"$BIN" label -mcpu="$CPU" "$T/mix.csv" -o "$OUT"
