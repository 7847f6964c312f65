// SimulationReport: what llvm-mca's pipeline did with a block, not only how
// long it took: cycles each resource was busy, per-instruction waiting and
// execution times, and the dispatch stalls by cause. Gathered by an
// llvm::mca::HWEventListener on the pipeline (as llvm-mca's views are), so
// the figures are LLVM's own events, under any CpuParams.
//
// Units: cycles over the whole run divided by the iterations simulated
// (cycles per iteration), except `cycles` (the run's total, as
// Simulator::cycles returns it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace surrogate::mca {

struct InstructionTiming {
  std::string text;  // AT&T assembly
  // Averages over iterations, in cycles: from dispatch until its operands
  // were ready, from ready until issued, from issue until executed.
  double waiting_for_operands = 0, waiting_for_resources = 0, executing = 0;
};

struct SimulationReport {
  std::uint64_t cycles = 0;  // total cycles of the run
  unsigned iterations = 0;
  // Busy cycles per iteration of each resource unit kind, indexed like
  // CpuParams::resources (groups and index 0 stay 0). A port used for a
  // whole cycle by one micro-op counts 1; a resource of N units can reach N.
  std::vector<double> resource_pressure;
  std::vector<std::string> resource_names;      // CpuParams::resources names
  std::vector<unsigned> resource_units;         // units of each resource kind (0 for groups)
  std::vector<InstructionTiming> instructions;  // in block order
  // Dispatch stall cycles by cause ("register file", "retire control unit",
  // "dispatch group", "scheduler queue full", "load queue full", "store
  // queue full", "custom behaviour"), summed over the run.
  std::map<std::string, std::uint64_t> dispatch_stalls;

  double cycles_per_iteration() const { return iterations ? static_cast<double>(cycles) / iterations : 0; }
  // The most pressured resource and its busy cycles per iteration divided by
  // its units (1.0: one unit's worth busy every iteration; divided by
  // cycles_per_iteration() it is the share of its capacity used); empty name
  // when none is used.
  std::pair<std::string, double> busiest_resource() const;
};

// The report as text for a person, in the spirit of llvm-mca's views: the
// totals, resource pressure per iteration (resources used), per-instruction
// waiting and execution times (its timeline view's averages), dispatch
// stalls and the bottleneck (the busiest resource, or operand waits when a
// dependency chain dominates).
std::string format_report(const SimulationReport& report);

}  // namespace surrogate::mca
