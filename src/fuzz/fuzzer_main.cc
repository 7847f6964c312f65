// One libFuzzer binary per target (FUZZ_TARGET names it): built by
// tools/fuzz.sh with clang-19, -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const surrogate::fuzz::Target run = surrogate::fuzz::target(FUZZ_TARGET);
  run(data, size);
  return 0;
}
