#!/usr/bin/env bash
# An evaluation set from the programs kept out of all training data
# (src/dataset/held_out_programs.h): 4,000 blocks each of the installed
# libcrypto.so.3, libssl.so.3 and libsqlite3.so.0 (seeded sample, blocks of
# at most 500 bytes), with a `sources` column naming the library.
#   tools/make_held_out_programs_set.sh [OUT]   (default build/eval/held-out-programs.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/eval/held-out-programs.csv}
BIN=${SURROGATE:-build/bin/surrogate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$(dirname "$OUT")"
libs=()
for p in /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3 \
         /usr/lib/x86_64-linux-gnu/libsqlite3.so.0; do
  [ -e "$p" ] || { echo "make_held_out_programs_set: $p not installed, left out" >&2; continue; }
  "$BIN" simulate --iterations=1 -mcpu=haswell --jobs="$(nproc)" "$p" -o "$T/$(basename "$p").csv" 2>/dev/null || true
  libs+=("$p")
done
python3 - "$T" "$OUT" "${libs[@]}" <<'PY'
import csv, hashlib, os, sys
tmp, out, libs = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for p in libs:
    name = os.path.basename(p)
    with open(os.path.join(tmp, name + ".csv")) as f:
        blocks = sorted({r["hex"] for r in csv.DictReader(f) if r["hex"] and len(r["hex"]) <= 1000})
    blocks.sort(key=lambda h: hashlib.sha256(f"judges:{h}".encode()).hexdigest())
    rows += [(h, name) for h in blocks[:4000]]
    print(f"{name}: {len(blocks)} distinct blocks, {min(4000, len(blocks))} kept", file=sys.stderr)
with open(out + ".tmp", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["hex", "sources"])
    w.writerows(rows)
os.replace(out + ".tmp", out)
PY
