#include "measure/measure_job.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "measure/host_info.h"
#include "measure/other_load_test_support.h"
#include "measure/retry_on_noise_test_support.h"
#include "util/result_journal.h"

namespace surrogate::measure {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class MeasureJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = unsupported_host_reason()) GTEST_SKIP() << *why;
    dir_ = fs::temp_directory_path() / ("measure_job_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    out_ = (dir_ / "out.csv").string();
    options_.jobs = 1;
    job_.output = out_;
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Runs the job over a journal that already holds both distinct blocks of
  // blocks_: the add measured at 123.45 with journal note `note`, ud2 SIGILL.
  JobSummary run_over_journal(const std::string& note) {
    {
      util::ResultJournal journal(out_, job_fingerprint(blocks_, options_));
      journal.record(0, {"123.45", note});
      journal.record(1, {"", "SIGILL (illegal instruction) at offset 0"});
    }
    return run_measure_job(blocks_, options_, job_, log_);
  }

  fs::path dir_;
  std::string out_;
  Options options_;
  JobOptions job_;
  std::ostringstream log_;
  // add rbx, rcx; ud2; add rbx, rcx again (a duplicate row).
  std::vector<JobBlock> blocks_ = {{"in:1", {0x48, 0x01, 0xCB}, "", false, "", ""},
                                   {"in:2", {0x0F, 0x0B}, "", false, "", ""},
                                   {"in:3", {0x48, 0x01, 0xCB}, "", false, "", ""}};
};

TEST_F(MeasureJobTest, WritesCsvMetadataAndReasons) {
  JobSummary s = run_measure_job(blocks_, options_, job_, log_);
  EXPECT_EQ(s.blocks, 3u);
  EXPECT_EQ(s.distinct, 2u);
  EXPECT_EQ(s.measured, 1u);
  EXPECT_FALSE(fs::exists(out_ + ".partial"));
  std::string csv = slurp(out_);
  ASSERT_EQ(csv.rfind("hex,throughput\n4801cb,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\n0f0b,\n4801cb,"), std::string::npos) << csv;
  EXPECT_NE(log_.str().find("in:2: unmeasurable 0f0b: SIGILL"), std::string::npos) << log_.str();
  auto meta = nlohmann::json::parse(slurp(out_ + ".meta.json"));
  EXPECT_EQ(meta["blocks"]["measured"], 1);
  EXPECT_EQ(meta["cpu"]["identity"], host_info().identity());
  EXPECT_GT(meta["tsc_ticks_per_core_cycle"]["median"].get<double>(), 0);
  EXPECT_EQ(meta["method"]["denormal_policy"], options_.denormal_policy());
  EXPECT_EQ(meta["two_modes"]["count"].get<size_t>(), meta["two_modes"]["blocks"].size());
  EXPECT_EQ(meta["retry_rounds"]["schedule_seconds"].get<double>(), job_.disturbed_retry_seconds);
  EXPECT_EQ(meta["retry_rounds"]["rounds"].get<size_t>(), s.retry_rounds);
  EXPECT_EQ(meta["retry_rounds"]["past_schedule"].get<size_t>(), s.retry_rounds_past_budget);
}

// A block cannot run faster than 16 instructions per cycle: a reading below
// that (here forced by claiming 100 instructions for one add, 100 cycles per
// 100 iterations) is not written; the block is measured again in the next
// round, then left unmeasured with the reason. The true count passes.
// Retried on noise: other load can give either block up as disturbed.
TEST_F(MeasureJobTest, AReadingFasterThanAnyCoreIsNotWritten) {
  std::vector<JobBlock> blocks = {{"in:1", {0x48, 0x01, 0xCB}, "", false, "", ""},
                                  {"in:2", {0x48, 0x01, 0xC0}, "", false, "", ""}};
  blocks[0].instructions = 100;  // floor 0.97 x 100 x 100 / 16 = 606 cycles per 100 iterations
  blocks[1].instructions = 1;
  job_.disturbed_retry_seconds = 1;  // one more round after a 1 s wait
  with_retries([&] {
    fs::remove(out_);
    log_.str("");
    JobSummary s = run_measure_job(blocks, options_, job_, log_);
    EXPECT_EQ(s.measured, 1u) << log_.str();  // the reasons, e.g. the harness's proof of other load
    std::string csv = slurp(out_);
    EXPECT_NE(csv.find("\n4801cb,\n"), std::string::npos) << csv;
    EXPECT_EQ(csv.find("\n4801c0,\n"), std::string::npos) << csv;
    EXPECT_NE(log_.str().find("in:1: unmeasurable 4801cb: misread twice: "), std::string::npos) << log_.str();
    EXPECT_NE(log_.str().find("is faster than 16 instructions per cycle (100 instructions)"), std::string::npos)
        << log_.str();
  });
}

// A retry round waits for other load to pass only when the checks saw it:
// the figures of one Zen 5 run's give-ups. Blocks of 18-19 clean
// repetitions in 20 whose runs never paired kept a run waiting 63 s.
TEST(MetOtherLoad, OnlyFlaggedRepetitionsMakeARoundWait) {
  EXPECT_TRUE(met_other_load(2261 * 20 + 363 * 19, 2624 * 20));  // a busy minute: 20 and 19 of 20 flagged
  EXPECT_TRUE(met_other_load(1, 1));                             // one misread
  EXPECT_TRUE(met_other_load(0, 0));                             // nothing known: wait
  EXPECT_TRUE(met_other_load(25, 100));
  EXPECT_FALSE(met_other_load(24, 100));
  EXPECT_FALSE(met_other_load(84, 440));  // ten blocks whose own runs disagreed
  EXPECT_FALSE(met_other_load(0, 20));
}

// Under other load on the measuring CPUs a round waits: a block given up
// (here a misread, which counts as flagged) sends the job to its probe
// block, and the probe sees the load too. Retried: the probe's few
// repetitions can all fall between the load's time slices (a fresh-clone CI
// run on Zen 5 once read 0 of 6 flagged under OtherLoad); each attempt
// starts the load afresh, and a harness whose probe never sees it fails.
TEST_F(MeasureJobTest, ARoundWaitsWhenAProbeBlockSeesOtherLoad) {
  std::vector<JobBlock> blocks = {{"in:1", {0x48, 0x01, 0xCB}, "", false, "", ""}};
  blocks[0].instructions = 100;  // always read faster than 16 instructions per cycle: misread
  job_.disturbed_retry_seconds = 1;
  with_retries(
      [&] {
        fs::remove(out_);
        log_.str("");
        OtherLoad load;
        run_measure_job(blocks, options_, job_, log_);
        EXPECT_NE(log_.str().find("1 blocks disturbed by other load; measuring them again in 1 s\n"), std::string::npos)
            << log_.str();
      },
      /*max_wait_seconds=*/4);  // waiting does not help here: each attempt is a new draw
}

// A block given up with every repetition's b run over the unrolling ratio
// (here forced: a bound no b run can meet) is named after that check, and
// its retry round starts at once: such flags are as often the block's own
// (copies that walk memory go twice as far at b) and say nothing of the
// host's load. Retried on noise: other load flags repetitions first.
TEST_F(MeasureJobTest, ARoundDoesNotWaitForBlocksFlaggedByTheUnrollingRatio) {
  std::vector<JobBlock> blocks = {{"in:1", {0x48, 0x01, 0xCB}, "", false, "", ""}};
  options_.unrolling_excess = -0.9;  // L_b <= 0.1 x b/a x L_a
  job_.disturbed_retry_seconds = 1;
  with_retries([&] {
    fs::remove(out_);
    log_.str("");
    run_measure_job(blocks, options_, job_, log_);
    EXPECT_NE(log_.str().find("in:1: unmeasurable 4801cb: disturbed by its own runs or other load: "),
              std::string::npos)
        << log_.str();
    EXPECT_NE(log_.str().find(" for b run over b/a x a run"), std::string::npos) << log_.str();
    EXPECT_NE(log_.str().find("1 blocks disturbed by other load; measuring them again now ("), std::string::npos)
        << log_.str();
    EXPECT_NE(log_.str().find("their own runs disagree)\n"), std::string::npos) << log_.str();
  });
}

// The same block with the bound forced, but a schedule with room for a
// round JobOptions::unrolling_recheck_seconds later: over the ratio again
// then, it is its own copies' doing and is measured without the check (a
// dependent add chain: 100 cycles per 100 iterations), and listed.
TEST_F(MeasureJobTest, ABlockOverTheUnrollingRatioInTwoRoundsApartIsMeasuredWithoutIt) {
  std::vector<JobBlock> blocks = {{"in:1", {0x48, 0x01, 0xCB}, "", false, "", ""}};
  options_.unrolling_excess = -0.9;
  job_.disturbed_retry_seconds = 30;
  job_.unrolling_recheck_seconds = 0.5;
  with_retries([&] {
    fs::remove(out_);
    log_.str("");
    JobSummary s = run_measure_job(blocks, options_, job_, log_);
    EXPECT_EQ(s.measured, 1u) << log_.str();
    EXPECT_EQ(s.over_unrolling_ratio, 1u);
    EXPECT_NE(log_.str().find("1 blocks disturbed by other load; measuring them again in 0."), std::string::npos)
        << log_.str();
    EXPECT_NE(log_.str().find("1 blocks over the unrolling ratio again at least 0.5 s later"), std::string::npos)
        << log_.str();
    auto own = nlohmann::json::parse(slurp(out_ + ".meta.json"))["over_unrolling_ratio"];
    EXPECT_EQ(own["count"], 1);
    ASSERT_EQ(own["blocks"].size(), 1u);
    EXPECT_EQ(own["blocks"][0]["hex"], "4801cb");
    EXPECT_NEAR(own["blocks"][0]["throughput"].get<double>(), 100.0, 5.0);
  });
}

// A block measured without the unrolling ratio stays listed on resume, its
// other mode too (the journal note carries both).
TEST_F(MeasureJobTest, ABlockMeasuredWithoutTheUnrollingRatioIsListedOnResume) {
  JobSummary s = run_over_journal("tsc=0.60000 over_unrolling_ratio other_mode=150.00");
  EXPECT_EQ(s.over_unrolling_ratio, 1u);
  EXPECT_EQ(s.two_modes, 1u);
  auto meta = nlohmann::json::parse(slurp(out_ + ".meta.json"));
  ASSERT_EQ(meta["over_unrolling_ratio"]["blocks"].size(), 1u);
  EXPECT_DOUBLE_EQ(meta["over_unrolling_ratio"]["blocks"][0]["throughput"].get<double>(), 123.45);
  EXPECT_DOUBLE_EQ(meta["two_modes"]["blocks"][0]["other_mode"].get<double>(), 150.0);
  EXPECT_NEAR(meta["tsc_ticks_per_core_cycle"]["median"].get<double>(), 0.6, 1e-9);
}

// A journal left by a killed run is reused: its finished block is not
// measured again (the marker value survives), a torn last line is ignored.
TEST_F(MeasureJobTest, ResumesFromTheJournal) {
  {
    util::ResultJournal(out_, job_fingerprint(blocks_, options_)).record(0, {"123.45", "tsc=0.60000"});
    std::ofstream(out_ + ".partial", std::ios::app) << "1\t";
  }
  JobSummary s = run_measure_job(blocks_, options_, job_, log_);
  EXPECT_EQ(s.resumed, 1u);
  EXPECT_EQ(slurp(out_), "hex,throughput\n4801cb,123.45\n0f0b,\n4801cb,123.45\n");
  EXPECT_FALSE(fs::exists(out_ + ".partial"));
}

// A block whose passes read two modes (Measurement::other_mode, kept in its
// journal note) has the faster in the CSV and both in the metadata, on
// resume too.
TEST_F(MeasureJobTest, ABlockReadInTwoModesIsListedWithBothFigures) {
  JobSummary s = run_over_journal("tsc=0.60000 other_mode=150.00");
  EXPECT_EQ(s.resumed, 2u);
  EXPECT_EQ(s.two_modes, 1u);
  EXPECT_EQ(slurp(out_), "hex,throughput\n4801cb,123.45\n0f0b,\n4801cb,123.45\n");
  auto modes = nlohmann::json::parse(slurp(out_ + ".meta.json"))["two_modes"];
  EXPECT_EQ(modes["count"], 1);
  ASSERT_EQ(modes["blocks"].size(), 1u);
  EXPECT_EQ(modes["blocks"][0]["block"], "in:1");
  EXPECT_EQ(modes["blocks"][0]["hex"], "4801cb");
  EXPECT_DOUBLE_EQ(modes["blocks"][0]["throughput"].get<double>(), 123.45);
  EXPECT_DOUBLE_EQ(modes["blocks"][0]["other_mode"].get<double>(), 150.0);
}

// Cancelled before it starts: no output, the journal stays for a resume.
TEST_F(MeasureJobTest, CancelledJobWritesNoOutput) {
  std::atomic<bool> cancel{true};
  job_.cancel = &cancel;
  JobSummary s = run_measure_job(blocks_, options_, job_, log_);
  EXPECT_TRUE(s.interrupted);
  EXPECT_FALSE(fs::exists(out_));
  EXPECT_TRUE(fs::exists(out_ + ".partial"));
}

}  // namespace
}  // namespace surrogate::measure
