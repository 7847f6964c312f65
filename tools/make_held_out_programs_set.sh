#!/usr/bin/env bash
# An evaluation set from the programs kept out of all training data
# (src/dataset/held_out_programs.h): 4,000 blocks each of the installed
# libcrypto.so.3, libssl.so.3 and libsqlite3.so.0 (seeded sample, blocks of
# at most 500 bytes), with a `sources` column naming the library.
#   tools/make_held_out_programs_set.sh [OUT]   (default build/eval/held-out-programs.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
exec tools/sample_program_blocks.sh judges 4000 1000 "" "${1:-build/eval/held-out-programs.csv}" \
  /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libsqlite3.so.0
