#include "mca/simulation_report.h"

namespace surrogate {

std::pair<std::string, double> SimulationReport::busiest_resource() const {
  std::pair<std::string, double> best{"", 0.0};
  for (std::size_t r = 0; r < resource_pressure.size() && r < resource_units.size(); ++r) {
    if (!resource_units[r] || resource_pressure[r] <= 0) continue;
    double load = resource_pressure[r] / resource_units[r];
    if (load > best.second) best = {r < resource_names.size() ? resource_names[r] : std::to_string(r), load};
  }
  return best;
}

}  // namespace surrogate
