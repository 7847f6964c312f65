#include "measure/recent_repetitions.h"

#include <gtest/gtest.h>

#include <stdexcept>

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

}  // namespace
}  // namespace surrogate::measure
