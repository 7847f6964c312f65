#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input (src/fuzz/targets.h) with libFuzzer,
# ASan and UBSan:
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, every target)
#
# Installs clang-19 and its runtime (Debian: clang-19, libclang-rt-19-dev),
# builds build-fuzz/ (-DSURROGATE_FUZZ=ON, without LibTorch), and runs each
# target on its corpus src/fuzz/corpus/NAME, to which new interesting inputs
# are added (minimise with -merge=1 before committing them). A crash, leak,
# hang or broken contract is copied to src/fuzz/regressions/NAME/, which
# `make test` replays from then on, and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(block_text elf labels model_file params_json hex compile_spec)

SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
for p in clang-19 libclang-rt-19-dev; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
./tools/install-deps.sh

cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 \
  -DCMAKE_CXX_COMPILER=clang++-19 -DSURROGATE_FUZZ=ON -DSURROGATE_WITH_TORCH=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target $(printf '%s_fuzzer ' "${targets[@]}")

status=0
for t in "${targets[@]}"; do
  corpus=src/fuzz/corpus/$t found=build-fuzz/fuzz-$t
  mkdir -p "$corpus" "$found"
  echo "== $t: ${seconds} s"
  if ! build-fuzz/bin/${t}_fuzzer -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
       -artifact_prefix="$found/" -print_final_stats=1 "$corpus" 2>build-fuzz/fuzz-$t.log; then
    status=1
    mkdir -p src/fuzz/regressions/$t
    cp "$found"/* src/fuzz/regressions/$t/ 2>/dev/null || true
    echo "$t: failure; input(s) kept in src/fuzz/regressions/$t, log build-fuzz/fuzz-$t.log"
    grep -m3 -E "ERROR|SUMMARY|contract" build-fuzz/fuzz-$t.log || true
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/fuzz-$t.log | tr '\n' ' '; echo
done
exit $status
