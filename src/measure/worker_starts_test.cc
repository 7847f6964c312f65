#include "measure/worker_starts.h"

#include <gtest/gtest.h>

namespace surrogate::measure {
namespace {

const ReferenceCheck kQuietClock{3.0, 0.56};

TEST(WorkerStarts, ContendedLaterStartsDoNotMoveTheBaseline) {
  WorkerStarts starts;
  EXPECT_EQ(starts.canary().zero_idioms, 0);  // nothing known before a start
  for (int i = 0; i < 10; ++i) starts.accept(kQuietClock, {2.10 + 0.01 * i, 0.71 + 0.001 * i});
  EXPECT_NEAR(starts.canary().zero_idioms, 2.12, 1e-9);  // the 20th percentile (nearest rank: the 3rd of 10)
  EXPECT_NEAR(starts.canary().loads, 0.712, 1e-9);
  // A later round's starts while another tenant shares the core: its own
  // baseline would be theirs (1.37x), the run's stays the quiet one.
  for (int i = 0; i < 10; ++i) starts.accept(kQuietClock, {2.90, 0.94});
  EXPECT_EQ(starts.size(), 20u);
  EXPECT_LT(starts.canary().zero_idioms, 2.2);
  EXPECT_LT(starts.canary().loads, 0.72);
  WorkerStarts round_alone;
  for (int i = 0; i < 10; ++i) round_alone.accept(kQuietClock, {2.90, 0.94});
  EXPECT_NEAR(round_alone.canary().zero_idioms, 2.90, 1e-9);
}

TEST(WorkerStarts, AStartWithASlowClockIsRefusedAndLeftOut) {
  WorkerStarts starts;
  starts.accept(kQuietClock, {2.1, 0.71});
  // 1.3x the TSC ticks per reference cycle: the reference ran slow through
  // that start-up, and its canaries read low by as much.
  EXPECT_THROW(starts.accept({3.0, 0.56 * 1.3}, {2.1 / 1.3, 0.71 / 1.3}), StartError);
  EXPECT_EQ(starts.size(), 1u);
  EXPECT_DOUBLE_EQ(starts.canary().zero_idioms, 2.1);
  // A start with a faster clock lowers the band: the earlier one is left out of the baseline.
  starts.accept({3.0, 0.56 / 1.3}, {2.5, 0.8});
  EXPECT_DOUBLE_EQ(starts.canary().zero_idioms, 2.5);
  EXPECT_DOUBLE_EQ(starts.canary().loads, 0.8);
}

TEST(WorkerStarts, LowerOfTakesEachCanaryApart) {
  const CanaryCycles c = lower_of({2.1, 0}, {2.3, 0.7});
  EXPECT_DOUBLE_EQ(c.zero_idioms, 2.1);
  EXPECT_DOUBLE_EQ(c.loads, 0.7);
  EXPECT_DOUBLE_EQ(lower_of({}, {}).zero_idioms, 0);
}

TEST(WorkerStarts, OverBaselineIsEitherCanaryOverTheTolerance) {
  const CanaryCycles baseline{2.0, 0.7};
  EXPECT_FALSE(over_baseline({2.2, 0.77}, baseline, 1.1));
  EXPECT_TRUE(over_baseline({2.21, 0.7}, baseline, 1.1));
  EXPECT_TRUE(over_baseline({2.0, 0.78}, baseline, 1.1));
  EXPECT_FALSE(over_baseline({9, 9}, {}, 1.1));  // no baseline known yet: nothing judged
}

}  // namespace
}  // namespace surrogate::measure
