// Tuning: "measurements" made by the simulator itself under a hidden change of
// one CPU parameter are fitted by moving exactly that parameter back to the
// hidden value; an interrupted search resumes to the same bytes; bad input
// fails with one line and writes nothing.
#include "apps/tuning.h"
#include "apps/tuning_test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "block/decoder.h"
#include "mca/cpu_params_json.h"
#include "mca/parameter_vector.h"
#include "mca/simulator.h"
#include "util/atomic_file.h"
#include "util/hex.h"

namespace surrogate::apps {
namespace {

TEST(Tuning, RecoversAHiddenLatencyAndWritesItBack) {
  Scratch s;
  write_measurements(s.path("measured.csv"));
  std::ostringstream log;
  const TuneResult r = tune(options_for(s), log, {});
  ASSERT_FALSE(r.interrupted) << log.str();
  EXPECT_GT(r.train_blocks, 250u);
  EXPECT_GT(r.test_blocks, 20u);
  // LLVM's latency (3) is far from the "host"; the tuned one is the host's.
  EXPECT_GT(r.test_llvm.mape, 0.2);
  EXPECT_LT(r.test_tuned.mape, 0.01) << log.str();
  ASSERT_FALSE(r.changes.empty());
  EXPECT_EQ(r.changes[0].field, kHiddenField);
  EXPECT_EQ(r.changes[0].llvm, 3);
  EXPECT_EQ(r.changes[0].tuned, kHiddenLatency);
  EXPECT_GT(r.changes[0].error_llvm, 10 * r.changes[0].error_tuned);
  EXPECT_GT(r.changes[0].error_without, 10 * r.changes[0].error_tuned);
  // Written back: the params file says 7 and simulates like the "host".
  const mca::CpuParams tuned = mca::load_params(s.path("tuned.json"));
  EXPECT_EQ(tuned.cpu, "haswell");
  const mca::ParameterLayout layout(tuned);
  EXPECT_EQ(layout.values(tuned)[*layout.find(kHiddenField)], kHiddenLatency);
  EXPECT_TRUE(std::filesystem::exists(s.path("tuned.report.md")));
  EXPECT_NE(util::read_file(s.path("tuned.report.md")).find(kHiddenField), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(s.path("tuned.json.state")));
}

// The derivative-free baseline (NLopt Subplex on the simulator) also finds
// the hidden latency's effect within its simulation budget, and keeps to it.
TEST(Tuning, NloptBaselineImprovesWithinItsBudget) {
  Scratch s;
  write_measurements(s.path("measured.csv"));
  TuneOptions o = options_for(s);
  o.method = "nlopt";
  o.nlopt.sample_blocks = 100;
  o.budget_simulations = 30000;
  std::ostringstream log;
  const TuneResult r = tune(o, log, {});
  ASSERT_FALSE(r.interrupted) << log.str();
  EXPECT_TRUE(r.stop_reason == "converged" || r.stop_reason == "simulation budget") << r.stop_reason;
  // The budget, plus LLVM's values and the final point on the training and validation blocks.
  EXPECT_LE(r.simulations, o.budget_simulations + 2 * (r.train_blocks + r.validation_blocks) + 100);
  EXPECT_GT(r.test_llvm.mape, 0.2);
  EXPECT_LT(r.test_tuned.mape, 0.7 * r.test_llvm.mape) << log.str();
  EXPECT_NE(util::read_file(s.path("tuned.report.md")).find("Subplex"), std::string::npos);
  // A budget it cannot converge within stops it there.
  o.budget_simulations = 2000;
  const TuneResult small = tune(o, log, {});
  EXPECT_EQ(small.stop_reason, "simulation budget");
  EXPECT_LE(small.simulations, o.budget_simulations + 2 * (r.train_blocks + r.validation_blocks) + 100);
}

TEST(Tuning, AnInterruptedSearchResumesToTheSameBytes) {
  Scratch s;
  write_measurements(s.path("measured.csv"));
  TuneOptions o = options_for(s);
  std::ostringstream log;
  ASSERT_FALSE(tune(o, log, {}).interrupted);
  const std::string whole = util::read_file(o.output);
  std::filesystem::remove(o.output);

  // Stopped after a few candidates, twice, then run to the end.
  for (int stop_after : {7, 40}) {
    int calls = 0;
    const TuneResult part = tune(o, log, [&] { return ++calls > stop_after; });
    ASSERT_TRUE(part.interrupted);
    EXPECT_FALSE(std::filesystem::exists(o.output));
    EXPECT_TRUE(std::filesystem::exists(o.output + ".state"));
  }
  const TuneResult resumed = tune(o, log, {});
  ASSERT_FALSE(resumed.interrupted);
  EXPECT_NE(log.str().find("resuming"), std::string::npos) << log.str();
  EXPECT_EQ(util::read_file(o.output), whole);
}

TEST(Tuning, BadInputFailsWithOneLineAndWritesNothing) {
  Scratch s;
  write_measurements(s.path("measured.csv"));
  util::write_file_atomically(s.path("few.csv"), "hex,throughput\n4801d8,100\n480fafc0,300\n");
  auto fails = [&](TuneOptions o, const std::string& expected) {
    std::ostringstream log;
    try {
      tune(o, log, {});
      ADD_FAILURE() << "no error; expected: " << expected;
    } catch (const std::exception& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(expected), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_FALSE(std::filesystem::exists(o.output));
  };
  TuneOptions o = options_for(s);
  o.cpu = "pentium-9000";
  fails(o, "pentium-9000");
  o = options_for(s);
  o.method = "annealing";
  fails(o, "annealing");
  o = options_for(s);
  o.measured = s.path("few.csv");
  fails(o, "at least");
  o = options_for(s);
  o.measured = s.path("missing.csv");
  fails(o, "missing.csv");
  o = options_for(s);
  o.output = s.path("tuned.txt");
  fails(o, ".json");
}

}  // namespace
}  // namespace surrogate::apps
