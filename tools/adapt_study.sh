#!/usr/bin/env bash
# The data-size study of neural adaptation (issue 15; the paper's Figure 4):
# error against measurements on blocks of programs in no training data, as a
# function of the number of measured training blocks, for
#   adapted   the base surrogate fine-tuned on N measured blocks (surrogate adapt)
#   scratch   the same network trained from scratch on the same N blocks
#   base      the base surrogate, unadapted
#   llvm-mca  every distinct LLVM x86 scheduling model (the best and the host's own are named)
# Usage: tools/adapt_study.sh POOL.csv TEST.csv BASE.srg OUTDIR MINUTES [SIZES...]
#   POOL: measured blocks to draw training sets from (surrogate measure output);
#   TEST: measured blocks of held-out programs (e.g. data/heldout-elf.csv measured
#   on this host); MINUTES: time budget of each training. Two trainings run at once.
#   Writes OUTDIR/study.csv (size,method,mape,tau), OUTDIR/study.md, OUTDIR/study.png.
set -euo pipefail
cd "$(dirname "$0")/.."
POOL=$1 TEST=$2 BASE=$3 OUT=$4 MINUTES=$5
shift 5
SIZES=${*:-"300 1000 3000 10000 30000 all"}
BIN=${SURROGATE:-build/bin/surrogate}
mkdir -p "$OUT"

# MAPE and tau of a prediction file against TEST, from `surrogate evaluate`'s "all" table.
score() {
  "$BIN" evaluate --labels "$TEST" --predictions "$1" 2>/dev/null |
    awk -F'|' '/^\| (predictions|all) / && $3+0 > 0 { gsub(/[ %]/, "", $4); gsub(/ /, "", $5); print $4 / 100 "," $5; exit }'
}

echo "size,method,mape,tau" > "$OUT/study.csv.tmp"
"$BIN" predict --model "$BASE" "$TEST" -o "$OUT/base.pred.csv" 2>/dev/null || true
echo "0,base,$(score "$OUT/base.pred.csv")" >> "$OUT/study.csv.tmp"

# llvm-mca: one CPU per distinct scheduling model.
for cpu in $("$BIN" cpus | awk 'NR > 1 && $2 != "(none)" && !seen[$2]++ { print $1 }'); do
  "$BIN" simulate -mcpu="$cpu" --jobs="$(nproc)" "$TEST" -o "$OUT/mca-$cpu.csv" 2>/dev/null || true
  echo "0,llvm-mca -mcpu=$cpu,$(score "$OUT/mca-$cpu.csv")" >> "$OUT/study.csv.tmp"
done

for n in $SIZES; do
  sample="$OUT/pool-$n.csv"
  python3 - "$POOL" "$sample" "$n" <<'PY'
import csv, hashlib, sys
pool, out, n = sys.argv[1], sys.argv[2], sys.argv[3]
with open(pool) as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = [r for r in reader if r[1]]
rows.sort(key=lambda r: hashlib.sha256(f"study:{r[0]}".encode()).hexdigest())
if n != "all":
    rows = rows[: int(n)]
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
PY
  "$BIN" adapt --measured "$sample" --model "$BASE" -o "$OUT/adapted-$n.srg" --max-minutes "$MINUTES" -j 1 \
    > "$OUT/adapted-$n.log" 2>&1 &
  "$BIN" train --labels "$sample" --width 32 --frontend llvm19-x86-dependencies --max-minutes "$MINUTES" -j 1 \
    -o "$OUT/scratch-$n" > "$OUT/scratch-$n.log" 2>&1 &
  wait
  size=$(($(wc -l < "$sample") - 1))
  for method in adapted scratch; do
    model="$OUT/$method-$n.srg"
    if [ -e "$model" ]; then
      "$BIN" predict --model "$model" "$TEST" -o "$OUT/$method-$n.pred.csv" 2>/dev/null || true
      echo "$size,$method,$(score "$OUT/$method-$n.pred.csv")" >> "$OUT/study.csv.tmp"
    fi
  done
done
mv "$OUT/study.csv.tmp" "$OUT/study.csv"

python3 - "$OUT" <<'PY'
import csv, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/study.csv")))
mca = sorted((r for r in rows if r["method"].startswith("llvm-mca") and r["mape"]), key=lambda r: float(r["mape"]))
with open(f"{out}/study.md", "w") as f:
    f.write("| training blocks | method | MAPE | Kendall tau |\n|---:|:---|---:|---:|\n")
    for r in [r for r in rows if not r["method"].startswith("llvm-mca")] + mca[:3]:
        f.write(f"| {r['size']} | {r['method']} | {100 * float(r['mape']):.2f}% | {float(r['tau']):.3f} |\n")
with open(f"{out}/plot.dat", "w") as f:
    for method in ("adapted", "scratch"):
        for r in rows:
            if r["method"] == method:
                f.write(f"{r['size']} {100 * float(r['mape'])}\n")
        f.write("\n\n")
base = next(float(r["mape"]) for r in rows if r["method"] == "base")
best = mca[0]
with open(f"{out}/plot.gp", "w") as f:
    f.write(f"""set terminal pngcairo size 800,500
set output '{out}/study.png'
set logscale x
set xlabel 'measured training blocks'
set ylabel 'MAPE against measurements on held-out programs (%)'
set key top right
plot '{out}/plot.dat' index 0 with linespoints title 'adapted surrogate', \\
     '{out}/plot.dat' index 1 with linespoints title 'trained from scratch', \\
     {100 * base} title 'base surrogate (unadapted)' dt 2, \\
     {100 * float(best['mape'])} title 'best llvm-mca model ({best['method'].split('=')[1]})' dt 3
""")
PY
gnuplot "$OUT/plot.gp" 2>/dev/null || echo "adapt_study: gnuplot failed; the table is in $OUT/study.md" >&2
cat "$OUT/study.md"
