#include "measure/retry_schedule.h"

#include <gtest/gtest.h>

namespace surrogate::measure {
namespace {

// The scheduled rounds of a 120 s budget wait 1, 2, 4, 8, 16 and 32 s
// (63 s), whatever the rounds measured.
TEST(RetrySchedule, ScheduledRoundsWaitOneTwoFourUpToTheBudget) {
  RetrySchedule s(120);
  for (double w : {1.0, 2.0, 4.0, 8.0, 16.0, 32.0}) {
    ASSERT_EQ(s.next(100, 0), w);
    s.started(w, w);
  }
  EXPECT_EQ(s.waited(), 63);
  EXPECT_FALSE(s.next(100, 0));  // 63 + 64 > 120, and nothing measured
  EXPECT_EQ(s.extra_rounds(), 0u);
}

// A round that started at once (no load seen) spends its wait all the same:
// the schedule bounds the rounds of a host that shows no load too.
TEST(RetrySchedule, ARoundThatStartedAtOnceSpendsItsWait) {
  RetrySchedule s(3);
  ASSERT_EQ(s.next(10, 5), 1.0);
  s.started(1, 0);
  ASSERT_EQ(s.next(5, 0), 2.0);
  s.started(2, 0);
  EXPECT_EQ(s.waited(), 3);
  EXPECT_FALSE(s.next(5, 0));
}

// Past the budget rounds go on at the longest scheduled wait while each
// measures at least half of what it took (the figures of a Zen 5 run whose
// load outlasted the schedule: 2,865 given up, then 1,522, 1,372, 1,159, 783,
// 157), and at least ten blocks; they stop at the first round that does not.
TEST(RetrySchedule, PastTheBudgetRoundsGoOnWhileEachMeasuresHalfOfWhatItTook) {
  RetrySchedule s(120);
  const size_t left[] = {2865, 1522, 1372, 1159, 783, 157};
  size_t taken = 10001;
  for (size_t given_up : left) {
    std::optional<double> w = s.next(taken, taken - given_up);
    ASSERT_TRUE(w);
    s.started(*w, *w);
    taken = given_up;
  }
  EXPECT_EQ(s.waited(), 63);
  ASSERT_EQ(s.next(157, 117), 32.0);  // 157 -> 40: the load is passing
  s.started(32, 32);
  EXPECT_EQ(s.extra_rounds(), 1u);
  EXPECT_EQ(s.rounds(), 7u);
  EXPECT_EQ(s.next(40, 20), 32.0);  // exactly half
  EXPECT_FALSE(s.next(40, 19));     // under half measured: the load stays
  // A wait of 32 s for fewer than ten blocks is not worth it: a run whose
  // last rounds took 4 blocks and measured 2 waited 32 s, none measured.
  EXPECT_FALSE(s.next(4, 2));
  EXPECT_FALSE(s.next(18, 9));
  EXPECT_EQ(s.next(20, 10), 32.0);
}

// No budget, no round; a recheck's longer wait counts in full.
TEST(RetrySchedule, NoBudgetNoRoundAndARecheckCountsInFull) {
  EXPECT_FALSE(RetrySchedule(0).next(100, 90));
  RetrySchedule s(10);
  ASSERT_EQ(s.next(40, 1), 1.0);
  EXPECT_EQ(s.room(), 10);
  s.started(1, 5);  // waited 5 s for a recheck
  EXPECT_EQ(s.waited(), 5);
  ASSERT_EQ(s.next(20, 0), 2.0);
  s.started(2, 2);
  EXPECT_FALSE(s.next(20, 0));     // 7 + 4 > 10, nothing measured
  EXPECT_EQ(s.next(20, 10), 2.0);  // past the budget at the longest wait, 2 s
}

}  // namespace
}  // namespace surrogate::measure
