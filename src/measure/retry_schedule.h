// RetrySchedule: when the next round of blocks given up as disturbed by
// other load may start (MeasureJob).
//
// Rounds wait 1, 2, 4, ... s (the load comes in bursts of seconds on shared
// hosts) until `budget` seconds of that schedule are spent. Past it, rounds
// go on, each after the schedule's longest wait, while the round before
// measured at least half of the given-up blocks it took, and at least
// kMinRecovered of them: the load is passing, and a further round is worth
// its wait (a wait of 32 s for a block or two is not). On a Zen 5 guest a
// run whose load outlasted the schedule ended at 97.41% of 10,001 blocks
// with its last round down from 783 given-up blocks to 157 (BENCHMARKS.md
// 46-47). Each such round at least halves the blocks left, so there are at
// most log2(blocks) of them.
//
// The caller may wait less than a round's wait (no load seen: the round
// starts at once) or more (a recheck); the schedule counts the larger.
#pragma once

#include <cstddef>
#include <optional>

namespace surrogate::measure {

class RetrySchedule {
 public:
  static constexpr size_t kMinRecovered = 10;

  // budget: seconds of scheduled waits (>= 0; 0: no retry round at all).
  explicit RetrySchedule(double budget) : budget_(budget) {}

  // When blocks are left given up as disturbed after a round that took
  // `taken` blocks given up before (all blocks, in the first round) and
  // measured `measured` of them: the wait, in seconds, before the next
  // round; none when there is no next round.
  std::optional<double> next(size_t taken, size_t measured) const;
  // Seconds that next() would leave for a wait beyond its own (a recheck).
  double room() const { return budget_ - waited_; }
  // Counts a round's start after `paused` seconds (0 when it started at once)
  // at the wait next() gave.
  void started(double wait, double paused);

  // Whether the next round would be one past the budget.
  bool past_budget() const { return waited_ + wait_ > budget_; }
  double waited() const { return waited_; }
  // Rounds started, and of them past the budget.
  size_t rounds() const { return rounds_; }
  size_t extra_rounds() const { return extra_; }

 private:
  double budget_;
  double waited_ = 0;
  double wait_ = 1;     // the next scheduled wait
  double longest_ = 0;  // the longest wait started within the budget
  size_t rounds_ = 0, extra_ = 0;
};

}  // namespace surrogate::measure
