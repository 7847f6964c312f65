#include "mca/simulation_report.h"

#include <cstdio>

namespace surrogate::mca {

std::pair<std::string, double> SimulationReport::busiest_resource() const {
  std::pair<std::string, double> best{"", 0.0};
  for (std::size_t r = 0; r < resource_pressure.size() && r < resource_units.size(); ++r) {
    if (!resource_units[r] || resource_pressure[r] <= 0) continue;
    double load = resource_pressure[r] / resource_units[r];
    if (load > best.second) best = {r < resource_names.size() ? resource_names[r] : std::to_string(r), load};
  }
  return best;
}

std::string format_report(const SimulationReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "Iterations: %u\nTotal cycles: %llu\nCycles per iteration: %.2f\n", r.iterations,
                static_cast<unsigned long long>(r.cycles), r.cycles_per_iteration());
  out += line;
  out += "\nResource pressure per iteration (busy cycles; units):\n";
  for (std::size_t i = 0; i < r.resource_pressure.size() && i < r.resource_names.size(); ++i) {
    if (r.resource_pressure[i] <= 0) continue;
    std::snprintf(line, sizeof line, "  %-24s %8.2f  (%u)\n", r.resource_names[i].c_str(), r.resource_pressure[i],
                  i < r.resource_units.size() ? r.resource_units[i] : 0);
    out += line;
  }
  out += "\nInstructions, average cycles (waiting for operands, for resources, executing):\n";
  double operand_wait = 0;
  for (const InstructionTiming& t : r.instructions) {
    std::snprintf(line, sizeof line, "  %8.2f %8.2f %8.2f   %s\n", t.waiting_for_operands, t.waiting_for_resources,
                  t.executing, t.text.c_str());
    out += line;
    operand_wait += t.waiting_for_operands;
  }
  std::uint64_t stalls = 0;
  for (const auto& [cause, cycles] : r.dispatch_stalls) stalls += cycles;
  out += "\nDispatch stalls (cycles in all):";
  if (!stalls) out += " none";
  for (const auto& [cause, cycles] : r.dispatch_stalls)
    if (cycles) out += " " + cause + " " + std::to_string(cycles) + ";";
  out += "\n";
  const auto [name, per_unit] = r.busiest_resource();
  const double load = r.cycles_per_iteration() > 0 ? per_unit / r.cycles_per_iteration() : 0;  // share of capacity
  if (!name.empty()) {
    std::snprintf(line, sizeof line, "Busiest resource: %s at %.0f%% of its capacity\n", name.c_str(), 100 * load);
    out += line;
  }
  // Latency-bound when the instructions mostly wait for operands and no
  // resource is near saturation.
  if (operand_wait > 0.5 * r.cycles_per_iteration() && load < 0.9)
    out += "Bottleneck: data dependencies (instructions wait for their operands)\n";
  else if (!name.empty())
    out += "Bottleneck: " + name + "\n";
  return out;
}

}  // namespace surrogate::mca
