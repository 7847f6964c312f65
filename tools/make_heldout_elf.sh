#!/usr/bin/env bash
# Held-out blocks from applications absent from the shared BHive data: the
# basic blocks of programs installed on this machine (Debian 12 packages),
# split by surrogate's ELF reader, minus every block that also occurs in
# ../shared/data/bhive-blocks.csv, 2,000 per program, seeded.
# Usage: tools/make_heldout_elf.sh [OUT]   (default data/heldout-elf.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
exec tools/sample_program_blocks.sh 1 2000 0 ../shared/data/bhive-blocks.csv "${1:-data/heldout-elf.csv}" \
  /usr/bin/python3.11 /usr/bin/perl /usr/bin/git /usr/bin/bash /usr/bin/cmake /usr/lib/x86_64-linux-gnu/libstdc++.so.6
