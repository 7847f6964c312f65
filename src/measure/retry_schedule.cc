#include "measure/retry_schedule.h"

#include <algorithm>

namespace surrogate::measure {

std::optional<double> RetrySchedule::next(size_t taken, size_t given_up) const {
  if (given_up == 0) return std::nullopt;
  if (waited_ + wait_ <= budget_) return wait_;
  // Past the budget: only after a scheduled round, and while rounds halve
  // what is left.
  if (longest_ > 0 && 2 * given_up <= taken) return longest_;
  return std::nullopt;
}

void RetrySchedule::started(double wait, double paused) {
  const bool scheduled = waited_ + wait_ <= budget_;
  waited_ += std::max(wait, paused);
  if (scheduled) {
    longest_ = wait_;
    wait_ *= 2;
  } else {
    ++extra_;
  }
}

}  // namespace surrogate::measure
