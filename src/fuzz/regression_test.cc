// Every input kept for a fuzz target (src/fuzz/corpus/NAME: seeds and what
// the fuzzer found interesting; src/fuzz/regressions/NAME: inputs that once
// broke a target) runs through it again: a crash, a hang or a broken
// contract (targets.h) fails the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/targets.h"

namespace surrogate::fuzz {
namespace {

class KeptInputs : public ::testing::TestWithParam<NamedTarget> {};

TEST_P(KeptInputs, PassTheirTarget) {
  const NamedTarget& t = GetParam();
  std::size_t inputs = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const std::filesystem::path dir = std::filesystem::path(SURROGATE_SOURCE_DIR) / "src/fuzz" / kind / t.name;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes{std::istreambuf_iterator<char>(in), {}};
      SCOPED_TRACE(entry.path().string());
      t.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u) << "no kept inputs for " << t.name;
}

INSTANTIATE_TEST_SUITE_P(Fuzz, KeptInputs, ::testing::ValuesIn(targets()),
                         [](const ::testing::TestParamInfo<NamedTarget>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace surrogate::fuzz
