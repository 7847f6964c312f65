#!/usr/bin/env bash
# The blocks the shipped models train on, clean of every evaluation program:
#
#   tools/make_training_set.sh [OUT]      (default build/training-blocks.csv)
#
#  - BHive's blocks (../shared/data/bhive-blocks.csv), without those
#    attributed to openssl, sqlite or redis, and without any block that
#    occurs in the installed libcrypto, libssl or libsqlite3 (or the openssl,
#    sqlite3 and redis-server programs, where installed), attributed or not,
#    or in the hand-written evaluation kernels (data/kernels/handwritten.s);
#  - build/extra-blocks.csv (tools/make_extra_training.sh) if it exists,
#    with the same blocks removed;
#  - hand-written-style loop bodies (tools/make_kernels.py, seed 1, 40,000:
#    dependency chains, pointer chasing, divisions, their independent twins),
#    source "handwritten-kernels";
#  - function entries as CET builds (-fcf-protection, the default of many
#    distributions) emit them: up to 8,000 BHive blocks that begin with a
#    prologue (push, sub of rsp), again with endbr64 first, source
#    "...;endbr64-entry". BHive predates CET and has almost none, yet
#    llvm-mca prices endbr64 at ~35 cycles on znver4 (3 on haswell), so a
#    model that never saw it under-predicts such blocks ~10x.
# Blocks of the evaluation sets in build/eval/*.csv, where they exist, are
# left out too.
# Also writes OUT_DIR/kernels-heldout.csv: 3,000 kernels of another seed, none
# in the training set, to evaluate on. Then, e.g.:
#   surrogate label -mcpu=haswell build/training-blocks.csv -o build/haswell-train.labels
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/training-blocks.csv}
BIN=${SURROGATE:-build/bin/surrogate}
BHIVE=${BHIVE:-../shared/data/bhive-blocks.csv}
DIR=$(dirname "$OUT")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$DIR"
held_out=()
for p in /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3 \
         /usr/lib/x86_64-linux-gnu/libsqlite3.so.0 /usr/bin/openssl /usr/bin/sqlite3 /usr/bin/redis-server; do
  [ -e "$p" ] || continue
  # One iteration: only the block list (hex) is wanted.
  "$BIN" simulate --iterations=1 -mcpu=haswell --jobs="$(nproc)" "$p" -o "$T/held-out-$(basename "$p").csv" 2>/dev/null || true
  held_out+=("$T/held-out-$(basename "$p").csv")
done
# The hand-written evaluation kernels never train a model either.
"$BIN" simulate --iterations=1 -mcpu=haswell data/kernels/handwritten.s -o "$T/held-out-handwritten.csv"
held_out+=("$T/held-out-handwritten.csv")
python3 tools/make_kernels.py --count 40000 --seed 1 -o "$T/kernels.s"
python3 tools/make_kernels.py --count 3300 --seed 2 -o "$T/kernels-heldout.s"
"$BIN" simulate --iterations=1 -mcpu=haswell "$T/kernels.s" -o "$T/kernels.csv"
"$BIN" simulate --iterations=1 -mcpu=haswell "$T/kernels-heldout.s" -o "$T/kernels-heldout.csv"
EXTRA=build/extra-blocks.csv
[ -e "$EXTRA" ] || EXTRA=
for f in build/eval/*.csv; do
  case "$f" in *.pred.csv) ;; *) [ -e "$f" ] && held_out+=("$f") ;; esac
done
python3 - "$OUT" "$BHIVE" "$T/kernels.csv" "$T/kernels-heldout.csv" "$DIR/kernels-heldout.csv" "$EXTRA" "${held_out[@]}" <<'PY'
import csv, hashlib, os, sys
sys.path.insert(0, "tools")
csv.field_size_limit(1 << 30)
out, bhive, kernels, kernels_heldout, heldout_out, extra = sys.argv[1:7]
libraries = sys.argv[7:]
HELD_OUT = ("openssl", "sqlite", "redis")  # src/dataset/held_out_programs.h
def held_out_source(sources):
    for s in sources.split(";"):
        if s.split("-")[0] in HELD_OUT or any(l in s for l in ("libcrypto", "libssl", "libsqlite3", "redis")):
            return True
    return False
banned = set()
for path in libraries:
    with open(path) as f:
        banned |= {r["hex"] for r in csv.DictReader(f)}
rows, dropped_source, dropped_bytes = [], 0, 0
with open(bhive) as f:
    for r in csv.DictReader(f):
        if held_out_source(r.get("sources", "")):
            dropped_source += 1
        elif r["hex"] in banned:
            dropped_bytes += 1
        else:
            rows.append((r["hex"], r.get("sources", "")))
print(f"BHive: {len(rows)} kept, {dropped_source} attributed to openssl/sqlite/redis and "
      f"{dropped_bytes} found in their installed libraries left out ({len(banned)} blocks there)", file=sys.stderr)
if extra:
    with open(extra) as f:
        more = [(r["hex"], r["sources"]) for r in csv.DictReader(f)
                if r["hex"] not in banned and not held_out_source(r["sources"])]
    print(f"{extra}: {len(more)} kept", file=sys.stderr)
    rows += more
seen = {h for h, _ in rows}
# Function entries of a CET build: a prologue with endbr64 (f3 0f 1e fa) first.
PROLOGUE = ("55", "53", "4154", "4155", "4156", "4157", "4883ec", "4881ec")
ENDBR64 = "f30f1efa"
entries = sorted(((h, s) for h, s in rows if h.startswith(PROLOGUE)),
                 key=lambda r: hashlib.sha256(r[0].encode()).digest())
entries = [(ENDBR64 + h, s + ";endbr64-entry") for h, s in entries
           if ENDBR64 + h not in seen and ENDBR64 + h not in banned][:8000]
print(f"endbr64 entries: {len(entries)} of the blocks that begin with a prologue", file=sys.stderr)
rows += entries
seen |= {h for h, _ in entries}
with open(kernels) as f:
    k = [r["hex"] for r in csv.DictReader(f)]
k = [h for h in dict.fromkeys(k) if h not in seen and h not in banned]
rows += [(h, "handwritten-kernels") for h in k]
seen |= set(k)
with open(kernels_heldout) as f:
    kh = [h for h in dict.fromkeys(r["hex"] for r in csv.DictReader(f)) if h not in seen][:3000]
print(f"kernels: {len(k)} for training, {len(kh)} held out", file=sys.stderr)
for path, data in ((out, rows), (heldout_out, [(h, "handwritten-kernels") for h in kh])):
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["hex", "sources"])
        w.writerows(data)
    os.replace(path + ".tmp", path)
PY
