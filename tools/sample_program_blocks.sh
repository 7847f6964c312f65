#!/usr/bin/env bash
# A seeded sample of the basic blocks of installed programs, as CSV hex,sources
# (sources: the program's file name): each program's blocks split by
# surrogate's ELF reader, distinct, minus those of an exclusion file, ordered
# by sha256("SALT:hex") and cut to N per program. The evaluation sets'
# common recipe (make_heldout_elf.sh, make_held_out_programs_set.sh).
# Usage: tools/sample_program_blocks.sh SALT N MAX_HEX_DIGITS EXCLUDE_CSV OUT PROGRAM...
#   MAX_HEX_DIGITS 0: no limit; EXCLUDE_CSV "": exclude nothing (else its first column).
#   Programs not installed are left out, with a note.
set -euo pipefail
SALT=$1 N=$2 MAX_HEX=$3 EXCLUDE=$4 OUT=$5
shift 5
BIN=${SURROGATE:-build/bin/surrogate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$(dirname "$OUT")"
programs=()
for p in "$@"; do
  [ -e "$p" ] || { echo "sample_program_blocks: $p not installed, left out" >&2; continue; }
  # One iteration: only the block list (hex) is wanted here, not the throughput.
  # Blocks that do not decode are reported and left out (exit 1): not an error here.
  "$BIN" simulate --iterations=1 -mcpu=haswell --jobs="$(nproc)" "$p" -o "$T/$(basename "$p").csv" 2>/dev/null || true
  [ -s "$T/$(basename "$p").csv" ] || { echo "sample_program_blocks: no blocks read from $p" >&2; exit 1; }
  programs+=("$p")
done
python3 - "$T" "$OUT" "$SALT" "$N" "$MAX_HEX" "$EXCLUDE" "${programs[@]}" <<'PY'
import csv, hashlib, os, sys
tmp, out, salt, n, max_hex, exclude, programs = *sys.argv[1:4], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7:]
seen = {row[0] for row in csv.reader(open(exclude))} if exclude else set()
rows = []
for p in programs:
    name = os.path.basename(p)
    with open(os.path.join(tmp, name + ".csv")) as f:
        blocks = sorted({r["hex"] for r in csv.DictReader(f)
                         if r["hex"] and (max_hex == 0 or len(r["hex"]) <= max_hex)} - seen)
    blocks.sort(key=lambda h: hashlib.sha256(f"{salt}:{h}".encode()).hexdigest())
    rows += [(h, name) for h in blocks[:n]]
    print(f"{name}: {len(blocks)} distinct blocks, {min(n, len(blocks))} kept", file=sys.stderr)
with open(out + ".tmp", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["hex", "sources"])
    w.writerows(rows)
os.replace(out + ".tmp", out)
PY
