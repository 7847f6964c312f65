#include "mca/parameter_vector.h"

#include <gtest/gtest.h>

#include <set>

#include "block/block_reader.h"
#include "block/x86_target.h"
#include "mca/cpu_catalog.h"
#include "mca/cpu_params_json.h"
#include "mca/simulator.h"

namespace surrogate::mca {
namespace {

// values() then apply() gives back the same table, on every CPU model, with
// and without a port field for every resource.
TEST(ParameterLayout, RoundTripsEveryModel) {
  std::set<std::string> models;
  for (const CpuInfo& cpu : x86_cpus()) {
    if (cpu.sched_model.empty() || !models.insert(cpu.sched_model).second) continue;
    CpuParams stock = CpuParams::stock(cpu.name);
    ParameterLayout layout(stock);
    std::vector<double> v = layout.values(stock);
    ASSERT_EQ(v.size(), layout.size());
    EXPECT_GT(layout.size(), stock.opcodes.size()) << cpu.name;
    for (std::size_t i = 0; i < v.size(); ++i) {
      ASSERT_GE(v[i], layout.fields()[i].min) << layout.fields()[i].name;
      ASSERT_LE(v[i], layout.fields()[i].max) << layout.fields()[i].name;
    }
    EXPECT_EQ(params_to_json(layout.apply(stock, v)), params_to_json(stock)) << cpu.name;
    EXPECT_EQ(layout.project(v), v) << cpu.name;
  }
  EXPECT_GE(models.size(), 15u);

  CpuParams haswell = CpuParams::stock("haswell");
  ParameterLayout wide(haswell, {.globals = true, .classes = false, .opcodes = std::nullopt, .every_resource = true});
  EXPECT_EQ(params_to_json(wide.apply(haswell, wide.values(haswell))), params_to_json(haswell));
}

TEST(ParameterLayout, NamesAreTheParamsFilePaths) {
  CpuParams p = CpuParams::stock("haswell");
  const unsigned imul = static_cast<unsigned>(block::X86Target::get().find_opcode("IMUL64rr"));
  ParameterLayout layout(
      p, {.globals = true, .classes = false, .opcodes = std::set<unsigned>{imul}, .every_resource = false});
  std::vector<std::string> names;
  for (const ParameterField& f : layout.fields()) names.push_back(f.name);
  EXPECT_EQ(names.front(), "global.dispatch_width");
  ASSERT_TRUE(layout.find("opcodes.IMUL64rr.micro_ops"));
  ASSERT_TRUE(layout.find("opcodes.IMUL64rr.latency[0]"));
  ASSERT_TRUE(layout.find("opcodes.IMUL64rr.ports.HWPort1"));
  for (const std::string& n : names)
    EXPECT_TRUE(n.rfind("global.", 0) == 0 || n.rfind("opcodes.IMUL64rr.", 0) == 0) << n;
  std::vector<double> v = layout.values(p);
  EXPECT_EQ(layout.fingerprint().rfind("HW " + std::to_string(layout.size()) + " fields ", 0), 0u)
      << layout.fingerprint();
  EXPECT_NE(layout.fingerprint(), ParameterLayout(p).fingerprint());
  EXPECT_EQ(v[*layout.find("global.dispatch_width")], 4);
  EXPECT_EQ(v[*layout.find("opcodes.IMUL64rr.latency[0]")], 3);
}

// An edit through the vector is the edit a params file makes: imul's
// latency 3 -> 5 and its port 1 -> port 0 give the same table as the JSON
// overlay, and a dependent imul chain then takes 5 cycles an iteration.
TEST(ParameterLayout, AppliedValuesEqualTheParamsFileEdit) {
  CpuParams p = CpuParams::stock("haswell");
  ParameterLayout layout(p, {.globals = true, .classes = true, .opcodes = std::nullopt, .every_resource = true});
  std::vector<double> v = layout.values(p);
  v[*layout.find("opcodes.IMUL64rr.latency[0]")] = 5;
  v[*layout.find("opcodes.IMUL64rr.ports.HWPort1")] = 0;
  v[*layout.find("opcodes.IMUL64rr.ports.HWPort0")] = 1;
  CpuParams edited = layout.apply(p, v);
  CpuParams from_file = params_from_json(
      R"({"format": "surrogate-cpu-params", "version": 1, "cpu": "haswell",
          "opcodes": {"IMUL64rr": {"latency": [[5, 0]], "ports": {"HWPort0": 1}}}})",
      "edit.json");
  EXPECT_EQ(params_to_json(edited), params_to_json(from_file));
  block::BlockFile chain = block::read_block_text("480fafc0\n", "imul.csv");
  EXPECT_EQ(Simulator(p).throughput(chain.blocks.at(0)), 303);
  EXPECT_EQ(Simulator(edited).throughput(chain.blocks.at(0)), 503);
}

TEST(ParameterLayout, BadValuesNameTheFieldAndProjectFixesThem) {
  CpuParams p = CpuParams::stock("haswell");
  ParameterLayout layout(p,
                         {.globals = true, .classes = false, .opcodes = std::set<unsigned>{}, .every_resource = false});
  std::vector<double> v = layout.values(p);
  const std::size_t width = *layout.find("global.dispatch_width");
  v[width] = 2.5;
  try {
    layout.apply(p, v);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("global.dispatch_width: 2.5"), std::string::npos) << e.what();
  }
  v[width] = 0;  // dispatch width >= 1
  EXPECT_THROW(layout.apply(p, v), std::invalid_argument);
  EXPECT_THROW(layout.apply(p, std::vector<double>(v.size() + 1)), std::invalid_argument);
  v[width] = 2.6;
  EXPECT_EQ(layout.project(v)[width], 3);
  v[width] = -7;
  EXPECT_EQ(layout.project(v)[width], 1);
  EXPECT_THROW(layout.values(CpuParams::stock("znver4")), std::invalid_argument);
}

}  // namespace
}  // namespace surrogate::mca
