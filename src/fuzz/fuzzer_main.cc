// One libFuzzer binary per target (FUZZ_TARGET names it): built by
// tools/fuzz.sh with clang-19, -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

// Every bad input ends in a C++ exception, and with ASan's fake stacks (its
// detection of stack use after return) each throw scans them: half of a
// labels run's time. Without it a target runs about twice as fast; heap,
// stack-overflow and other checks stay.
extern "C" const char* __asan_default_options() { return "detect_stack_use_after_return=0"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const surrogate::fuzz::Target run = surrogate::fuzz::target(FUZZ_TARGET);
  run(data, size);
  return 0;
}
