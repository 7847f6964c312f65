// Fuzz targets: the parsers of untrusted input, each as one function of a
// byte string, shared by the libFuzzer binaries (tools/fuzz.sh, clang-19
// with ASan/UBSan) and the regression test that replays every kept input
// (corpus and past crashers) in `make test`.
//
// The property checked beyond "no crash": bad input fails as the tools
// promise, with a std::runtime_error (InputError included) whose message is
// one non-empty line; anything else aborts, which the fuzzer reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace surrogate::fuzz {

using Target = void (*)(const std::uint8_t* data, std::size_t size);

struct NamedTarget {
  const char* name;  // also the corpus directory: fuzz/corpus/NAME, fuzz/regressions/NAME
  Target run;
};

const std::vector<NamedTarget>& targets();
// The target called `name`; aborts if there is none.
Target target(const std::string& name);

}  // namespace surrogate::fuzz
