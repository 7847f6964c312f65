#!/usr/bin/env bash
# The fine-tuning set of the shipped models' last step (issue 14): 90,000
# random blocks of the training set (tools/make_training_set.sh, seed 5) and
# 10,000 blocks of `surrogate synth` (seed 21; none of the evaluation set
# build/eval/synth-CPU.csv), labelled by the simulator:
#
#   tools/make_synth_mix.sh CPU            -> build/synth-mix-CPU.labels (a label set: it names the CPU)
#   surrogate train --labels build/synth-mix-CPU.labels --init build/train/hasv3.srg (znvv3) \
#     --lr 0.0003 --epochs 6 --patience 3 -o build/train/hasv3s (see models/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=${1:?usage: tools/make_synth_mix.sh CPU}
BIN=${SURROGATE:-build/bin/surrogate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BIN" synth -mcpu="$CPU" -n 10000 --seed 21 -o "$T/synth.csv"
python3 - "$CPU" "$T/synth.csv" "$T/mix.csv" <<'PY'
import csv, os, random, sys
cpu, synth, out = sys.argv[1:]
rows = list(csv.DictReader(open("build/training-blocks.csv")))
random.Random(5).shuffle(rows)
evaluation = set()
if os.path.exists(f"build/eval/synth-{cpu}.csv"):
    evaluation = {r["hex"] for r in csv.DictReader(open(f"build/eval/synth-{cpu}.csv"))}
with open(out, "w") as f:
    f.write("hex,sources\n")
    for r in rows[:90000]:
        f.write(f"{r['hex']},{r['sources']}\n")
    for r in csv.DictReader(open(synth)):
        if r["hex"] not in evaluation:
            f.write(f"{r['hex']},{r['sources']}\n")
PY
"$BIN" label -mcpu="$CPU" "$T/mix.csv" -o "build/synth-mix-$CPU.labels"
