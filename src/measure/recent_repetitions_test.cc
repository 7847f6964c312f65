#include "measure/recent_repetitions.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "measure/measurement.h"

namespace surrogate::measure {
namespace {

void add_times(RecentRepetitions& r, int n, CanaryCycles ratio) {
  for (int i = 0; i < n; ++i) r.add(ratio);
}

TEST(RecentRepetitions, AStretchIsAMedianOverTheTolerance) {
  RecentRepetitions r(200);
  EXPECT_FALSE(r.stretch(1.12));
  EXPECT_EQ(r.median().zero_idioms, 0);
  add_times(r, 101, {1.0, 1.02});
  add_times(r, 99, {1.5, 1.5});  // 99 of 200 slowed: the median stays quiet
  EXPECT_FALSE(r.stretch(1.12));
  EXPECT_DOUBLE_EQ(r.median().loads, 1.02);
  add_times(r, 2, {1.5, 1.0});  // the two oldest quiet readings go
  EXPECT_EQ(r.size(), 200u);
  ASSERT_TRUE(r.stretch(1.12));  // zero idioms: 101 of 200 at 1.5
  EXPECT_DOUBLE_EQ(r.stretch(1.12)->zero_idioms, 1.5);
  EXPECT_DOUBLE_EQ(r.stretch(1.12)->loads, 1.02);
}

TEST(RecentRepetitions, EitherCanaryNamesAStretch) {
  RecentRepetitions r(10);
  add_times(r, 10, {1.0, 1.13});
  EXPECT_TRUE(r.stretch(1.12));
  EXPECT_FALSE(r.stretch(1.14));
  add_times(r, 10, {1.13, 1.0});
  EXPECT_TRUE(r.stretch(1.12));
}

TEST(RecentRepetitions, JudgesOnlyWithHalfItsCapacity) {
  RecentRepetitions r(200);
  add_times(r, 99, {2.0, 2.0});
  EXPECT_FALSE(r.stretch(1.12));  // a fresh worker's first blocks: too few readings
  r.add({2.0, 2.0});
  EXPECT_TRUE(r.stretch(1.12));
}

TEST(RecentRepetitions, ForgetsAStretchThatIsOver) {
  RecentRepetitions r(200);
  add_times(r, 200, {1.3, 1.3});
  EXPECT_TRUE(r.stretch(1.12));
  add_times(r, 100, {1.0, 1.0});
  EXPECT_TRUE(r.stretch(1.12));  // 100 of 200: the median is between
  add_times(r, 1, {1.0, 1.0});
  EXPECT_FALSE(r.stretch(1.12));
  EXPECT_THROW(RecentRepetitions(0), std::invalid_argument);
}

// Both canaries over half the tolerance's excess name a stretch; one alone
// does not.
TEST(RecentRepetitions, BothCanariesOverHalfTheExcessNameAStretch) {
  EXPECT_DOUBLE_EQ(RecentRepetitions::joint_tolerance(1.12), 1.06);
  RecentRepetitions r(10);
  add_times(r, 10, {1.07, 1.0});
  EXPECT_FALSE(r.stretch(1.12));
  add_times(r, 10, {1.07, 1.061});
  EXPECT_TRUE(r.stretch(1.12));
  add_times(r, 10, {1.059, 1.07});
  EXPECT_FALSE(r.stretch(1.12));
}

// The default tolerance names the kinds of stretch seen on a Zen 5 guest
// and not its quiet windows (BENCHMARKS.md 43, 45): zero-idiom medians of
// 1.20-1.28x, the milder kinds' 1.07-1.12x (loads ~1.0x) and 1.04-1.06x
// with loads at 1.04x, against one canary at 1.00-1.05x in quiet runs.
TEST(RecentRepetitions, TheDefaultToleranceNamesTheMilderStretches) {
  const double tolerance = Options{}.stretch_tolerance;
  RecentRepetitions r(200);
  add_times(r, 200, {1.03, 1.01});
  EXPECT_FALSE(r.stretch(tolerance));
  add_times(r, 200, {1.05, 1.00});
  EXPECT_FALSE(r.stretch(tolerance));
  add_times(r, 200, {1.07, 1.00});
  EXPECT_TRUE(r.stretch(tolerance));
  add_times(r, 200, {1.045, 1.04});
  EXPECT_TRUE(r.stretch(tolerance));
  add_times(r, 200, {1.20, 1.13});
  EXPECT_TRUE(r.stretch(tolerance));
}

void add_unrolling_times(RecentRepetitions& r, int n, bool over) {
  for (int i = 0; i < n; ++i) r.add_unrolling(over);
}

TEST(RecentRepetitions, ACodeModeIsAShareOverTheRatio) {
  RecentRepetitions r(200);
  add_unrolling_times(r, 99, true);
  EXPECT_FALSE(r.code_mode(0.5));  // too few to judge
  r.add_unrolling(false);          // 99 of 100: judged from here on
  EXPECT_FALSE(r.code_mode(0.99));
  ASSERT_TRUE(r.code_mode(0.5));
  EXPECT_DOUBLE_EQ(*r.code_mode(0.5), 0.99);
  add_unrolling_times(r, 100, false);  // 99 of 200
  EXPECT_FALSE(r.code_mode(0.5));
  EXPECT_EQ(r.unrolling_size(), 200u);
  add_unrolling_times(r, 99, true);  // the 99 oldest (all over) go: 99 of 200 again
  EXPECT_FALSE(r.code_mode(0.5));
  EXPECT_DOUBLE_EQ(*r.code_mode(0.4), 0.495);
  add_unrolling_times(r, 2, true);  // two not over go
  EXPECT_DOUBLE_EQ(*r.code_mode(0.5), 0.505);
  EXPECT_EQ(r.size(), 0u);  // the canary window is apart
}

// The stretch window's baseline is the run's, not the quiet record's where
// that lies within the bound: the figures of an Intel Emerald Rapids
// guest's held-out run (its committed metadata), whose loads baseline read
// 0.9969 cycles against a record of 0.9396 with the zero idioms at the
// record. Judged by the record, a quiet worker reading the run's baseline
// would name a stretch in every window; judged as v24 does, none.
TEST(StretchBaseline, TheRecordLowersItOnlyToTheBoundTimesTheRecord) {
  const CanaryCycles run{2.1542, 0.9969}, record{2.1546, 0.9396}, own{2.16, 1.01};
  const CanaryCycles quiet_reading = run;  // a window median on a quiet core
  const CanaryCycles check = lower_of(lower_of(own, run), record);
  EXPECT_TRUE(RecentRepetitions::names_stretch(
      {quiet_reading.zero_idioms / check.zero_idioms, quiet_reading.loads / check.loads}, 1.06));  // v23
  const CanaryCycles b = stretch_baseline(own, run, record, 1.12);
  EXPECT_DOUBLE_EQ(b.zero_idioms, 2.1542);
  EXPECT_DOUBLE_EQ(b.loads, 0.9969);
  EXPECT_FALSE(RecentRepetitions::names_stretch(
      {quiet_reading.zero_idioms / b.zero_idioms, quiet_reading.loads / b.loads}, 1.06));
  // A run that started contended, 1.3x the record: judged from 1.12x it, so
  // its windows at the contended level still read 1.16x, a stretch.
  const CanaryCycles contended = scaled(record, 1.3);
  const CanaryCycles c = stretch_baseline(contended, contended, record, 1.12);
  EXPECT_DOUBLE_EQ(c.loads, 1.12 * record.loads);
  EXPECT_TRUE(
      RecentRepetitions::names_stretch({contended.zero_idioms / c.zero_idioms, contended.loads / c.loads}, 1.06));
  // Unknowns lower nothing: no record, no run baseline yet.
  const CanaryCycles alone = stretch_baseline(own, {}, {}, 1.12);
  EXPECT_DOUBLE_EQ(alone.zero_idioms, own.zero_idioms);
  EXPECT_DOUBLE_EQ(alone.loads, own.loads);
}

}  // namespace
}  // namespace surrogate::measure
