#include "measure/worker_starts.h"

#include <algorithm>
#include <cstdio>

#include "measure/estimate.h"

namespace surrogate::measure {
namespace {

// A worker start is refused (and retried) when its TSC ticks per reference
// cycle exceed this factor x the lowest of the run's accepted starts.
constexpr double kStartRatioBand = 1.25;
// The shared canary baseline: this quantile of the accepted starts' own
// baselines (each a low quantile of its start-up repetitions).
constexpr double kStartCanaryQuantile = 0.2;

}  // namespace

void WorkerStarts::accept(const ReferenceCheck& check, const CanaryCycles& canary) {
  double lowest = check.tsc_per_cycle;
  for (const Start& s : starts_) lowest = std::min(lowest, s.tsc_per_cycle);
  if (check.tsc_per_cycle > kStartRatioBand * lowest) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "clock reference read slow at start-up: %.3f TSC ticks per reference cycle, other starts %.3f "
                  "(other load)",
                  check.tsc_per_cycle, lowest);
    throw StartError(buf, /*retryable=*/true);
  }
  starts_.push_back({check.tsc_per_cycle, canary});
  std::vector<double> zero_idioms, loads;
  for (const Start& s : starts_) {
    if (s.tsc_per_cycle > kStartRatioBand * lowest) continue;
    if (s.canary.zero_idioms > 0) zero_idioms.push_back(s.canary.zero_idioms);
    if (s.canary.loads > 0) loads.push_back(s.canary.loads);
  }
  canary_ = {zero_idioms.empty() ? 0 : quantile(zero_idioms, kStartCanaryQuantile),
             loads.empty() ? 0 : quantile(loads, kStartCanaryQuantile)};
}

}  // namespace surrogate::measure
