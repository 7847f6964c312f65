#!/usr/bin/env bash
# More training blocks than BHive's: the basic blocks of other programs
# installed on this machine, labelled by the simulator like BHive's. None of
# the held-out programs (tools/make_heldout_elf.sh: python3.11, perl, git,
# bash, cmake, libstdc++) is used, and blocks that occur in BHive or in the
# held-out set are left out; at most 12,000 blocks of at most 500 bytes per
# program, seeded. The simulator labels anything, so more real code costs
# only time: the shipped models/haswell.srg was trained on BHive plus these.
# Usage: tools/make_extra_training.sh [OUT]   (default build/extra-blocks.csv)
# Then:  surrogate label -mcpu=haswell ../shared/data/bhive-blocks.csv build/extra-blocks.csv -o build/haswell-plus.labels
set -euo pipefail
OUT=${1:-build/extra-blocks.csv}
BIN=${SURROGATE:-build/bin/surrogate}
BHIVE=${BHIVE:-../shared/data/bhive-blocks.csv}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Debian 12 packages. Never openssl, sqlite, redis or their libraries
# (libcrypto, libssl, libsqlite3): their blocks judge the models from outside
# (src/dataset/held_out_programs.h). Models before 2026-11-30 wrongly had
# libcrypto and libsqlite3 here.
PROGRAMS="/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1 /usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0 /usr/bin/gdb
/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus /usr/lib/x86_64-linux-gnu/libz3.so.4
/usr/bin/node /usr/bin/cppcheck /usr/lib/x86_64-linux-gnu/libprotobuf.so.32.0.12
/usr/lib/x86_64-linux-gnu/libxml2.so.2.9.14"
found=()
for p in $PROGRAMS; do
  if [ ! -e "$p" ]; then echo "make_extra_training: $p not installed, left out" >&2; continue; fi
  # One iteration: only the block list (hex) is wanted here.
  "$BIN" simulate --iterations=1 -mcpu=haswell --jobs="$(nproc)" "$p" -o "$T/$(basename "$p").csv" 2>/dev/null
  found+=("$p")
done
python3 - "$T" "$OUT" "$BHIVE" data/heldout-elf.csv "${found[@]}" <<'PY'
import csv, hashlib, os, sys
csv.field_size_limit(1 << 30)
tmp, out, bhive, heldout, programs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
seen = {row[0] for row in csv.reader(open(bhive))} | {row[0] for row in csv.reader(open(heldout))}
rows = []
for p in programs:
    name = os.path.basename(p)
    with open(os.path.join(tmp, name + ".csv")) as f:
        blocks = sorted({r["hex"] for r in csv.DictReader(f) if len(r["hex"]) <= 1000} - seen)
    blocks.sort(key=lambda h: hashlib.sha256(f"2:{h}".encode()).hexdigest())
    rows += [(h, name) for h in blocks[:12000]]
    print(f"{name}: {len(blocks)} distinct blocks not in BHive or the held-out set, {min(12000, len(blocks))} kept",
          file=sys.stderr)
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out + ".tmp", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["hex", "sources"])
    w.writerows(rows)
os.replace(out + ".tmp", out)
PY
