#!/usr/bin/env bash
# Held-out blocks from applications absent from the shared BHive data: the
# basic blocks of programs installed on this machine (Debian 12 packages),
# split by surrogate's ELF reader, minus every block that also occurs in
# ../shared/data/bhive-blocks.csv, 2,000 per program, seeded.
# Usage: tools/make_heldout_elf.sh [OUT]   (default data/heldout-elf.csv)
set -euo pipefail
OUT=${1:-data/heldout-elf.csv}
BIN=${SURROGATE:-build/bin/surrogate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PROGRAMS="/usr/bin/python3.11 /usr/bin/perl /usr/bin/git /usr/bin/bash /usr/bin/cmake /usr/lib/x86_64-linux-gnu/libstdc++.so.6"
for p in $PROGRAMS; do
  # One iteration: only the block list (hex) is wanted here, not the throughput.
  "$BIN" simulate --iterations=1 -mcpu=haswell --jobs=1 "$p" -o "$T/$(basename "$p").csv" 2>/dev/null
done
python3 - "$T" "$OUT" ../shared/data/bhive-blocks.csv $PROGRAMS <<'PY'
import csv, hashlib, os, sys
tmp, out, bhive, programs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
seen = {row[0] for row in csv.reader(open(bhive))}
rows = []
for p in programs:
    name = os.path.basename(p)
    with open(os.path.join(tmp, name + ".csv")) as f:
        blocks = sorted({r["hex"] for r in csv.DictReader(f)} - seen)
    blocks.sort(key=lambda h: hashlib.sha256(f"1:{h}".encode()).hexdigest())
    rows += [(h, name) for h in blocks[:2000]]
    print(f"{name}: {len(blocks)} distinct blocks not in BHive, {min(2000, len(blocks))} kept", file=sys.stderr)
with open(out + ".tmp", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["hex", "sources"])
    w.writerows(rows)
os.replace(out + ".tmp", out)
PY
