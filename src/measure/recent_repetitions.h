// RecentRepetitions: a worker's last repetitions' canary readings, each as a
// ratio to the canary baseline it was judged against, to tell a stretch of
// sustained contention from a quiet core.
//
// A repetition's own canary check (canary_tolerance) catches events shorter
// than a repetition. A stretch of seconds in which another tenant shares the
// core (a busy SMT sibling: on a Zen 5 guest, 84 of 10,001 blocks written
// 10-60% slow with both passes agreeing, BENCHMARKS.md 41-43) flags most
// repetitions, and the few that pass are lucky, not undisturbed: their
// blocks read slow all the same. Over a stretch the canaries' median moves
// (there: 1.20-1.28x the quiet record for the zero idioms and 1.13-1.19x
// for the loads, against 1.04-1.15x and 1.01-1.09x in the rest of that busy
// run's first round, 1.00-1.01x in quiet runs), so a window's median names
// the stretch that single repetitions do not.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>

#include "measure/measurement.h"

namespace surrogate::measure {

class RecentRepetitions {
 public:
  // Holds the last `capacity` readings (> 0).
  explicit RecentRepetitions(size_t capacity);

  // One repetition's canaries over their baseline (both > 0); the oldest
  // reading goes when the window is full.
  void add(const CanaryCycles& ratio);
  size_t size() const { return held_.size(); }
  // Per canary, the median of the held ratios (zeros when empty).
  CanaryCycles median() const;
  // The medians, when at least half the capacity is held and either
  // canary's median reads over `tolerance`; else none.
  std::optional<CanaryCycles> stretch(double tolerance) const;

 private:
  size_t capacity_;
  std::deque<CanaryCycles> held_;
};

}  // namespace surrogate::measure
