#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds a program outside
# the tree against it twice (CMake package, pkg-config) and checks that both
# predict a block as `surrogate predict` does.
#   tools/test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/surrogate lib/libsurrogate_runtime.so include/surrogate/surrogate_runtime.h \
         lib/cmake/surrogate/surrogateConfig.cmake lib/pkgconfig/surrogate-runtime.pc; do
  [ -e "$tmp/prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
# The public header includes only the standard library.
if grep -E '^#include *[<"](llvm|nlohmann|absl|block|util|runtime)/' "$tmp/prefix/include/surrogate/surrogate_runtime.h"; then
  echo "the public header includes internal headers" >&2; exit 1
fi
model="$src/models/haswell.srg"
block=4801d8480fafc0
want=$("$tmp/prefix/bin/surrogate" predict --model "$model" <(printf 'hex\n%s\n' "$block") | tail -n 1 | cut -d, -f2)

cmake -S "$src/tools/install_consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
got=$("$tmp/consumer/consumer" "$model" "$block")

export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
g++ -std=c++20 "$src/tools/install_consumer/main.cc" $(pkg-config --cflags --libs surrogate-runtime) \
    -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/consumer-pc"
got_pc=$("$tmp/consumer-pc" "$model" "$block")

# Only the public API is exported (LLVM stays inside the library).
if nm -D --defined-only "$tmp/prefix/lib/libsurrogate_runtime.so" | grep -q ' T .*llvm'; then
  echo "libsurrogate_runtime.so exports LLVM symbols" >&2; exit 1
fi
echo "predict: $want; CMake package: $got; pkg-config: $got_pc"
awk -v w="$want" -v a="$got" -v b="$got_pc" 'BEGIN {
  split(a, x, " "); split(b, y, " ");
  ok = x[1] == "haswell" && y[1] == "haswell" && (x[2] - w) ^ 2 < 1e-4 && (y[2] - w) ^ 2 < 1e-4;
  exit ok ? 0 : 1 }'
