#include "measure/retry_schedule.h"

#include <algorithm>

namespace surrogate::measure {

std::optional<double> RetrySchedule::next(size_t taken, size_t measured) const {
  if (!past_budget()) return wait_;
  // Past the budget: only after a scheduled round, and while rounds measure
  // half of what they take.
  if (longest_ > 0 && 2 * measured >= taken && measured >= kMinRecovered) return longest_;
  return std::nullopt;
}

void RetrySchedule::started(double wait, double paused) {
  const bool scheduled = !past_budget();
  waited_ += std::max(wait, paused);
  ++rounds_;
  if (scheduled) {
    longest_ = wait_;
    wait_ *= 2;
  } else {
    ++extra_;
  }
}

}  // namespace surrogate::measure
