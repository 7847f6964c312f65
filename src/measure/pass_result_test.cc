#include "measure/pass_result.h"

#include <gtest/gtest.h>

namespace surrogate::measure {
namespace {

Measurement pass(double throughput) {
  Measurement m;
  m.throughput = throughput;
  m.attempts = 4;
  return m;
}

Measurement disturbed() {
  Measurement m;
  m.reason = "disturbed by other load: 13 of 20 repetitions flagged";
  m.attempts = 20;
  m.disturbed = 13;
  return m;
}

TEST(PassResult, PassesWithinTheGapGiveTheirMeanAndCountTheirWorkers) {
  const Measurement r = result_of_passes({pass(101), pass(100)}, {7, 8}, 2);
  ASSERT_TRUE(r.measured()) << r.reason;
  EXPECT_DOUBLE_EQ(*r.throughput, 100.5);  // their mean (measure v23)
  EXPECT_FALSE(r.other_mode);
  EXPECT_EQ(r.workers, 2u);
  EXPECT_EQ(r.attempts, 8u);
  EXPECT_EQ(result_of_passes({pass(101), pass(100)}, {7, 7}, 2).workers, 1u);
}

// Two workers each confirming their own figure: the slower is a second mode
// only when passes of two processes read it. One worker slow all through
// (BENCHMARKS.md 45: ~45% of ~450 blocks 10-40% slow, every check quiet)
// reads all its passes alike and is no mode of the block.
TEST(PassResult, ASecondModeNeedsTwoWorkersReadingIt) {
  const std::vector<Measurement> passes = {pass(130), pass(100), pass(131), pass(101)};
  const Measurement one_slow_worker = result_of_passes(passes, {7, 8, 7, 8}, 2);
  ASSERT_TRUE(one_slow_worker.measured()) << one_slow_worker.reason;
  EXPECT_DOUBLE_EQ(*one_slow_worker.throughput, 100.5);
  EXPECT_FALSE(one_slow_worker.other_mode) << *one_slow_worker.other_mode;

  const Measurement two_modes = result_of_passes(passes, {7, 8, 8, 7}, 2);
  ASSERT_TRUE(two_modes.measured()) << two_modes.reason;
  EXPECT_DOUBLE_EQ(*two_modes.throughput, 100.5);
  ASSERT_TRUE(two_modes.other_mode);
  EXPECT_NEAR(*two_modes.other_mode, 130.5, 0.6);
}

TEST(PassResult, AnUnconfirmedFastestOrALonePassIsDisturbed) {
  const Measurement unconfirmed = result_of_passes({pass(130), pass(100)}, {7, 8}, 2);
  EXPECT_FALSE(unconfirmed.measured());
  EXPECT_EQ(unconfirmed.reason.rfind("disturbed by other load: no second pass confirms the fastest", 0), 0u)
      << unconfirmed.reason;
  const Measurement lone = result_of_passes({disturbed(), pass(100)}, {7, 8}, 2);
  EXPECT_FALSE(lone.measured());
  EXPECT_EQ(lone.reason.rfind("disturbed by other load: one of 2 passes measured", 0), 0u) << lone.reason;
  EXPECT_EQ(lone.disturbed, 13u);
  EXPECT_TRUE(worth_another_pass(disturbed()));
  Measurement fault;
  fault.reason = "SIGSEGV: unmappable address 0x0";
  EXPECT_FALSE(worth_another_pass(fault));
}

}  // namespace
}  // namespace surrogate::measure
