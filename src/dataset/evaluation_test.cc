#include "dataset/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "util/hex.h"

namespace surrogate::dataset {
namespace {

LabelledBlock row(const std::string& hex, float throughput, std::string source = "") {
  std::size_t at = 0;
  std::string why;
  return {*util::parse_hex(hex, &at, &why), throughput, std::move(source)};
}

TEST(Evaluation, JoinsByBytesCountsSkippedRowsAndGroups) {
  LabelSet labels;
  labels.blocks = {row("4801d8", 100, "gzip-compress"),           // predicted 110: 10%
                   row("480fafc0", 300, "openblas-dgemm;eigen"),  // predicted 300: 0%
                   row("4801c3", std::nanf("")),                  // unlabelled
                   row("ffff", 100),                              // does not decode
                   row("31c0", 25)};                              // no prediction
  std::unordered_map<std::string, double> predicted = {{"4801d8", 110}, {"480fafc0", 300}, {"ffff", 1}};
  Evaluation e =
      evaluate(labels, "labels.csv", [&](const block::BasicBlock& b, const std::string& hex) -> std::optional<double> {
        EXPECT_EQ(util::to_hex(b.bytes), hex);
        auto it = predicted.find(hex);
        if (it == predicted.end()) return std::nullopt;
        return it->second;
      });
  EXPECT_EQ(e.truth, (std::vector<double>{100, 300}));
  EXPECT_EQ(e.predicted, (std::vector<double>{110, 300}));
  EXPECT_EQ(e.unlabelled, 1u);
  EXPECT_EQ(e.undecodable, 1u);
  EXPECT_EQ(e.unpredicted, 1u);
  EXPECT_TRUE(e.any_source);
  EXPECT_EQ(e.source, (std::vector<std::string>{"gzip", "openblas"}));
  EXPECT_NEAR(e.overall().mape, 0.05, 1e-9);
  EXPECT_NEAR(e.by_source().at("gzip").mape, 0.10, 1e-9);

  std::ostringstream report;
  write_evaluation_report(report, e, "model", "labels.csv");
  EXPECT_EQ(report.str().rfind("model vs labels.csv: 2 blocks compared (skipped: 1 unlabelled, 1 undecodable, 1 "
                               "without a prediction)\n",
                               0),
            0u)
      << report.str();
  EXPECT_NE(report.str().find("| application"), std::string::npos);
  // The tail at a glance: the largest error and the worst blocks as assembly.
  EXPECT_NE(report.str().find("Largest error 10.0%; the 2 worst blocks"), std::string::npos) << report.str();
  EXPECT_NE(report.str().find("| `addq %rbx, %rax` | 100.0 | 110.0 | +10.0% |"), std::string::npos) << report.str();
}

// Lengths in natural order; plots drawn under a path with a space and a
// quote, whatever the errors' spread (here +900%).
TEST(Evaluation, LengthTableInOrderAndPlotsUnderAnyPath) {
  LabelSet labels;
  std::string long_block;
  for (int i = 0; i < 20; ++i) long_block += "4801d8";
  labels.blocks = {row("4801d8", 100), row(long_block, 2000), row("4801d84801d84801d8", 300), row("4801d84801d8", 200),
                   row("480fafc0", 300)};
  Evaluation e =
      evaluate(labels, "labels.csv", [&](const block::BasicBlock& b, const std::string&) -> std::optional<double> {
        return b.instructions.size() == 1 && b.bytes[1] == 0x0f ? 3000.0 : 100.0 * b.instructions.size();
      });
  std::ostringstream report;
  write_evaluation_report(report, e, "model", "labels.csv");
  const std::string r = report.str();
  const std::size_t one = r.find("| 1  "), two = r.find("| 2  "), three = r.find("| 3-4 "), many = r.find("| 17+ ");
  ASSERT_NE(many, std::string::npos) << r;
  EXPECT_LT(one, two) << r;
  EXPECT_LT(two, three) << r;
  EXPECT_LT(three, many) << r;
  const std::string dir = ::testing::TempDir() + "my plots/it's";
  std::filesystem::create_directories(dir);
  write_evaluation_plots(dir + "/x", "model", e);
  EXPECT_GT(std::filesystem::file_size(dir + "/x-scatter.png"), 1000u);
  EXPECT_GT(std::filesystem::file_size(dir + "/x-errors.png"), 1000u);
  std::filesystem::remove_all(::testing::TempDir() + "my plots");
}

TEST(Evaluation, NothingJoinedIsAnErrorNamingTheLabels) {
  LabelSet labels;
  labels.blocks = {row("4801d8", 100)};
  try {
    evaluate(labels, "labels.csv",
             [](const block::BasicBlock&, const std::string&) { return std::optional<double>(); });
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "labels.csv: no block has both a label and a prediction");
  }
}

}  // namespace
}  // namespace surrogate::dataset
