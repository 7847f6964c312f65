#include "mca/cpu_params.h"

#include <gtest/gtest.h>

#include "block/x86_target.h"
#include "llvm/MC/MCSchedule.h"
#include "mca/cpu_catalog.h"
#include "mca/cpu_params_json.h"
#include "util/input_error.h"

namespace surrogate::mca {
namespace {

// Explicit port cycles re-expand to exactly LLVM's table, for every class of
// every CPU model (zero-cycle entries, which llvm-mca ignores, aside).
TEST(CpuParams, PortCyclesRoundTripExactlyOnEveryModel) {
  const block::X86Target& x86 = block::X86Target::get();
  std::set<std::string> models;
  for (const CpuInfo& cpu : x86_cpus()) {
    if (cpu.sched_model.empty() || !models.insert(cpu.sched_model).second) continue;
    CpuParams p = CpuParams::stock(cpu.name);
    auto sti = x86.make_subtarget(cpu.name);
    const llvm::MCSchedModel& sm = sti->getSchedModel();
    std::size_t checked = 0, verbatim = 0;
    for (unsigned c = 0; c < sm.NumSchedClasses; ++c) {
      const llvm::MCSchedClassDesc& sc = *sm.getSchedClassDesc(c);
      if (!sc.isValid() || sc.isVariant()) continue;
      std::vector<std::pair<unsigned, PortCycles>> stock;
      for (auto* e = sti->getWriteProcResBegin(&sc); e != sti->getWriteProcResEnd(&sc); ++e)
        if (e->ReleaseAtCycle) stock.push_back({e->ProcResourceIdx, {e->ReleaseAtCycle, e->AcquireAtCycle}});
      std::sort(stock.begin(), stock.end(), [](auto& a, auto& b) { return a.first < b.first; });
      if (p.classes[c].ports_expanded) {
        ++verbatim;
        continue;
      }
      auto again = expanded_port_cycles(p.resources, p.classes[c].ports);
      ASSERT_EQ(again.size(), stock.size()) << cpu.name << " class " << sc.Name;
      for (std::size_t i = 0; i < stock.size(); ++i) {
        EXPECT_EQ(again[i].first, stock[i].first) << cpu.name << " " << sc.Name;
        EXPECT_EQ(again[i].second, stock[i].second) << cpu.name << " " << sc.Name;
      }
      ++checked;
    }
    EXPECT_GT(checked, 100u) << cpu.name;
    EXPECT_LE(verbatim, 10u) << cpu.name << ": classes kept in LLVM's expanded form";
  }
  EXPECT_GE(models.size(), 15u);
}

TEST(CpuParams, HaswellHasPerOpcodeRowsWithGroups) {
  CpuParams p = CpuParams::stock("haswell");
  int add = block::X86Target::get().find_opcode("ADD64rr");
  ASSERT_GE(add, 0);
  const SchedRow& row = p.opcodes.at(add);
  EXPECT_EQ(row.micro_ops, 1u);
  ASSERT_EQ(row.ports.size(), 1u);
  EXPECT_EQ(p.resources[row.ports.begin()->first].name, "HWPort0156");
  EXPECT_EQ(row.latencies.at(0).cycles, 1);
  EXPECT_EQ(p.global.dispatch_width, 4u);
  EXPECT_EQ(p.global.micro_op_buffer_size, 192u);
  EXPECT_EQ(p.global.load_queue_size, 0u);  // Haswell's model has no load queue
  EXPECT_EQ(CpuParams::stock("znver4").global.load_queue_size, 72u);
  EXPECT_GT(p.opcodes.size(), 5000u);
}

TEST(CpuParamsJson, DumpLoadRoundTripIsIdentical) {
  CpuParams p = CpuParams::stock("znver4");
  std::string json = params_to_json(p);
  EXPECT_EQ(json, params_to_json(CpuParams::stock("znver4")));  // deterministic
  CpuParams q = params_from_json(json, "p.json");
  EXPECT_EQ(q.global, p.global);
  EXPECT_EQ(q.opcodes, p.opcodes);
  EXPECT_EQ(q.classes, p.classes);
  EXPECT_EQ(params_to_json(q), json);
}

TEST(CpuParamsJson, PartialFileOverlaysStockValues) {
  CpuParams q = params_from_json(
      R"({"format": "surrogate-cpu-params", "version": 1, "cpu": "haswell",
          "global": {"dispatch_width": 2},
          "opcodes": {"ADD64rr": {"latency": [[3, 0]], "ports": {"HWPort0": 1, "HWPort15": [2, 1]}}}})",
      "edit.json");
  CpuParams p = CpuParams::stock("haswell");
  EXPECT_EQ(q.global.dispatch_width, 2u);
  EXPECT_EQ(q.global.issue_width, p.global.issue_width);
  const SchedRow& row = q.opcodes.at(block::X86Target::get().find_opcode("ADD64rr"));
  EXPECT_EQ(row.latencies.at(0).cycles, 3);
  EXPECT_EQ(row.micro_ops, 1u);
  EXPECT_EQ(row.ports.size(), 2u);
  EXPECT_EQ(row.ports.at(q.find_resource("HWPort15")).acquire_at, 1);
}

// A changes file holds exactly what differs and loads back to the edited table.
TEST(CpuParamsJson, ChangesFileHoldsOnlyTheChangesAndLoadsBack) {
  const CpuParams stock = CpuParams::stock("znver4");
  EXPECT_EQ(params_changes_to_json(stock, stock).find("\"global\""), std::string::npos);
  CpuParams p = stock;
  p.global.dispatch_width = 11;
  const unsigned imul = block::X86Target::get().find_opcode("IMUL64rr");
  p.opcodes.at(imul).latencies.at(0).cycles = 7;
  p.register_files.at(1).physical_registers += 4;
  const std::string json = params_changes_to_json(p, stock);
  EXPECT_NE(json.find("\"IMUL64rr\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"dispatch_width\":11"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"issue_width\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"ADD64rr\""), std::string::npos) << json;
  EXPECT_LT(json.size(), 2000u) << json;
  const CpuParams q = params_from_json(json, "changes.json");
  EXPECT_EQ(q.global, p.global);
  EXPECT_EQ(q.opcodes, p.opcodes);
  EXPECT_EQ(q.classes, p.classes);
  EXPECT_EQ(params_to_json(q), params_to_json(p));
  CpuParams other = CpuParams::stock("haswell");
  EXPECT_THROW(params_changes_to_json(other, stock), std::invalid_argument);
}

std::string load_error(const std::string& json) {
  try {
    params_from_json(json, "bad.json");
  } catch (const util::InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CpuParamsJson, BadFilesNameTheField) {
  const std::string head = R"({"format": "surrogate-cpu-params", "version": 1, "cpu": "haswell", )";
  EXPECT_EQ(load_error(head + R"("global": {"dispatch_widht": 2}})"),
            "bad.json: field 'global.dispatch_widht': unknown field");
  EXPECT_EQ(load_error(head + R"("global": {"dispatch_width": 0}})"),
            "bad.json: field 'global.dispatch_width': 0 is out of range [1, 65535]");
  EXPECT_EQ(load_error(head + R"("opcodes": {"NOSUCHOP": {}}})"), "bad.json: field 'opcodes.NOSUCHOP': unknown opcode");
  EXPECT_EQ(load_error(head + R"("opcodes": {"ADD64rr": {"ports": {"HWPort9": 1}}}})"),
            "bad.json: field 'opcodes.ADD64rr.ports.HWPort9': unknown resource 'HWPort9' for haswell");
  EXPECT_EQ(load_error(head + R"("opcodes": {"ADD64rr": {"latency": [[1]]}}})"),
            "bad.json: field 'opcodes.ADD64rr.latency[0]': expected [cycles, write_id]");
  EXPECT_EQ(load_error(R"({"format": "surrogate-cpu-params", "version": 1, "cpu": "pentium9"})"),
            "bad.json: field 'cpu': unknown CPU 'pentium9' (see 'surrogate cpus')");
  EXPECT_EQ(load_error(R"({"format": "surrogate-cpu-params", "version": 2, "cpu": "haswell"})"),
            "bad.json: field 'version': expected 1");
  EXPECT_EQ(load_error("{\n  \"format\": \"surrogate-cpu-params\",\n  \"version\": 1,,\n}").rfind("bad.json:3:", 0),
            0u);
}

}  // namespace
}  // namespace surrogate::mca
