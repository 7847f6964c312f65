#!/bin/bash
# Runs the OtherLoad known-chain test again and again with other work beside
# it, and counts the runs in which a value passed as data more than 5% off
# (BENCHMARKS.md sections 36-37). Usage, from the repository after a build:
#   tools/other_load_loop.sh OUTDIR RUNS [cli|compiler] [TEST_BINARY]
# cli: build/bin/measure_cli_test runs beside it (as `ctest -j2` runs them);
# compiler: g++ -O2 -fsyntax-only on harness_test.cc runs beside it.
set -u
out=$1 runs=$2 beside=${3:-cli} test_binary=${4:-build/bin/surrogate_measure_test}
case $beside in cli | compiler) ;; *)
  echo "other_load_loop.sh: beside must be cli or compiler, not '$beside'" >&2
  exit 2
  ;;
esac
export SURROGATE_STATE_DIR=
mkdir -p "$out"
rm -f "$out/stop" "$out/summary"
case $beside in
  cli) (while [ ! -e "$out/stop" ]; do build/bin/measure_cli_test >/dev/null 2>&1; done) & ;;
  compiler) (while [ ! -e "$out/stop" ]; do
               c++ -Isrc -O2 -std=c++20 -fsyntax-only src/measure/harness_test.cc 2>/dev/null; done) & ;;
esac
fails=0
for i in $(seq "$runs"); do
  "$test_binary" --gtest_filter='*OtherLoadOnTheMeasuringCpus*' >"$out/run$i.log" 2>&1 ||
    { echo "run $i failed" >>"$out/summary"; fails=$((fails + 1)); }
done
touch "$out/stop"
wait
echo "failed $fails of $runs" | tee -a "$out/summary"
