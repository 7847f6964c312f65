#include "mca/parameter_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "mca/cpu_params.h"

namespace surrogate::mca {
namespace {

// Samples stay integers in range and inside the reach, change a few fields
// each (mean near the option), sometimes a global, and repeat per seed.
TEST(ParameterSampler, DrawsFewFieldsNearTheStartInsideTheReach) {
  const CpuParams stock = CpuParams::stock("znver4");
  LayoutOptions lo;
  lo.classes = false;
  lo.opcodes = std::set<unsigned>();
  for (const auto& [opcode, row] : stock.opcodes)
    if (lo.opcodes->size() < 200) lo.opcodes->insert(opcode);
  const ParameterLayout layout(stock, lo);
  const std::vector<double> start = layout.values(stock);
  SamplerOptions o;
  const auto reach = sampler_reach(layout, start, o);
  std::size_t changed = 0, with_global = 0, up = 0, down = 0;
  const int samples = 2000;
  for (int s = 0; s < samples; ++s) {
    const SampledTable t = sample_around(layout, start, o, s);
    ASSERT_FALSE(t.changed.empty());
    changed += t.changed.size();
    bool global = false;
    for (std::size_t i : t.changed) {
      const ParameterField& f = layout.fields()[i];
      ASSERT_EQ(t.values[i], std::round(t.values[i])) << f.name;
      ASSERT_GE(t.values[i], reach[i].first) << f.name;
      ASSERT_LE(t.values[i], reach[i].second) << f.name;
      ASSERT_GE(t.values[i], f.min);
      (t.values[i] > start[i] ? up : down)++;
      global |= f.kind == ParameterField::Kind::kGlobal;
    }
    with_global += global;
    for (std::size_t i = 0; i < start.size(); ++i) {
      if (std::find(t.changed.begin(), t.changed.end(), i) == t.changed.end()) {
        ASSERT_EQ(t.values[i], start[i]);
      }
    }
  }
  const double mean = static_cast<double>(changed) / samples;
  EXPECT_GT(mean, 5.0);
  EXPECT_LT(mean, 9.5);
  EXPECT_NEAR(static_cast<double>(with_global) / samples, 0.3, 0.05);
  EXPECT_GT(up, changed / 3);
  EXPECT_GT(down, changed / 5);
  EXPECT_EQ(layout.apply(stock, sample_around(layout, start, o, 7).values).opcodes.size(), stock.opcodes.size());
  EXPECT_EQ(sample_around(layout, start, o, 7).values, sample_around(layout, start, o, 7).values);
  EXPECT_NE(sample_around(layout, start, o, 7).values, sample_around(layout, start, o, 8).values);
}

}  // namespace
}  // namespace surrogate::mca
