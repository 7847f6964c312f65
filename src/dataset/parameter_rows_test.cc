#include "dataset/parameter_rows.h"

#include <gtest/gtest.h>

#include "block/decoder.h"
#include "block/x86_target.h"

namespace surrogate::dataset {
namespace {

// A row slot of a layout field follows the values; a slot of an opcode
// outside the layout holds the table's value; globals are 1 at the start.
TEST(ParameterRows, LayoutSlotsFollowTheValuesOthersHoldTheTable) {
  const mca::CpuParams haswell = mca::CpuParams::stock("haswell");
  const unsigned imul = static_cast<unsigned>(block::X86Target::get().find_opcode("IMUL64rr"));
  const unsigned add = static_cast<unsigned>(block::X86Target::get().find_opcode("ADD64rr"));
  mca::LayoutOptions lo;
  lo.classes = false;
  lo.opcodes = std::set<unsigned>{imul};
  const mca::ParameterLayout layout(haswell, lo);
  ParameterRows rows(haswell, layout);
  block::Decoder decoder;
  // imul rax, rax; add rax, rbx
  const block::BasicBlock b = decoder.decode_block({0x48, 0x0f, 0xaf, 0xc0, 0x48, 0x01, 0xd8}, "test", {}, nullptr);
  const std::vector<std::int32_t> gather = rows.gather(b);
  const std::size_t P = rows.width();
  ASSERT_EQ(gather.size(), 2 * P);
  EXPECT_EQ(P, 1 + 2 + (haswell.resources.size() - 1) + 3);
  std::size_t globals = 0;
  for (const mca::ParameterField& f : layout.fields()) globals += f.kind == mca::ParameterField::Kind::kGlobal;
  EXPECT_EQ(rows.global_count(), globals);
  EXPECT_GT(globals, 0u);
  std::vector<double> values = layout.values(haswell);
  const std::size_t latency = *layout.find("opcodes.IMUL64rr.latency[0]");
  EXPECT_EQ(gather[1], static_cast<std::int32_t>(latency));
  std::vector<float> r = rows.rows(gather, values);
  EXPECT_FLOAT_EQ(r[1], 3.0f / 8);                                                       // imul latency 3
  EXPECT_FLOAT_EQ(r[P + 0], static_cast<float>(haswell.opcodes.at(add).micro_ops) / 4);  // add: constants
  EXPECT_FLOAT_EQ(r[P + 1], static_cast<float>(haswell.opcodes.at(add).latencies[0].cycles) / 8);
  const std::vector<float> g = rows.globals(values);
  for (std::size_t k = 0; k < g.size(); ++k)  // 1 at the table's value (0 for a global that is 0: unbounded)
    EXPECT_FLOAT_EQ(g[k], values[static_cast<std::size_t>(rows.global_fields()[k])] > 0 ? 1.0f : 0.0f);
  values[latency] = 7;
  r = rows.rows(gather, values);
  EXPECT_FLOAT_EQ(r[1], 7.0f / 8);
  EXPECT_FLOAT_EQ(r[P + 1], static_cast<float>(haswell.opcodes.at(add).latencies[0].cycles) / 8);
  // Port slots: the resource's column holds the cycles.
  for (const auto& [resource, cycles] : haswell.opcodes.at(imul).ports)
    EXPECT_FLOAT_EQ(r[3 + resource - 1], static_cast<float>(cycles.cycles) / 4) << haswell.resources[resource].name;
}

}  // namespace
}  // namespace surrogate::dataset
