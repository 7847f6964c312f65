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
      evaluate(labels, "labels.csv", [&](const block::BasicBlock& b, std::size_t i) -> std::optional<double> {
        const std::string hex = util::to_hex(labels.blocks.at(i).bytes);
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
  Evaluation e = evaluate(labels, "labels.csv", [&](const block::BasicBlock& b, std::size_t) -> std::optional<double> {
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
    evaluate(labels, "labels.csv", [](const block::BasicBlock&, std::size_t) { return std::optional<double>(); });
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "labels.csv: no block has both a label and a prediction");
  }
}

// Rows of a file joined to predictions of the same rows in another order:
// by hex and the columns both have (here `name`), identical rows in order,
// and by hex alone where the identity has no prediction.
TEST(Evaluation, JoinsPredictionsByIdentityNotBytesAlone) {
  LabelSet labels = parse_labels(
      "hex,throughput,name\n"
      "4801c3,100,a.s:1\n"  // same bytes as the next row, another block of the input
      "4801c3,200,a.s:3\n"
      "31c0,25,a.s:5\n"
      "31c0,26,a.s:5\n"        // the same identity twice: the second prediction of it
      "480fafc0,300,b.s:9\n",  // no prediction with this name: by its bytes
      "measured.csv");
  LabelSet predictions = parse_labels(
      "hex,throughput,sources,name\n"
      "31c0,24,x,a.s:5\n"
      "4801c3,210,x,a.s:3\n"
      "31c0,27,x,a.s:5\n"
      "4801c3,90,x,a.s:1\n"
      "480fafc0,310,x,c.s:1\n",
      "predicted.csv");
  JoinedPredictions joined = join_predictions(labels, predictions);
  EXPECT_EQ(joined.identity_columns, (std::vector<std::string>{"name"}));
  ASSERT_EQ(joined.by_row.size(), 5u);
  EXPECT_EQ(joined.by_row[0], 90);
  EXPECT_EQ(joined.by_row[1], 210);
  EXPECT_EQ(joined.by_row[2], 24);
  EXPECT_EQ(joined.by_row[3], 27);
  EXPECT_EQ(joined.by_row[4], 310);
  EXPECT_EQ(joined.by_bytes_alone, 1u);
  EXPECT_EQ(joined.description(), "hex, name (1 row by hex alone)");
  // A prediction row without a value keeps its place: the row it pairs
  // with has no prediction, the next row still gets its own.
  LabelSet gap = parse_labels("hex,throughput,name\n31c0,,a.s:5\n31c0,27,a.s:5\n", "gap.csv");
  JoinedPredictions gapped = join_predictions(labels, gap);
  EXPECT_EQ(gapped.by_row[2], std::nullopt);
  EXPECT_EQ(gapped.by_row[3], 27);
  // Without shared columns: bytes, identical rows still in order.
  LabelSet bare = parse_labels("hex,throughput\n4801c3,100\n4801c3,200\n", "bare.csv");
  JoinedPredictions by_hex = join_predictions(bare, predictions);
  EXPECT_TRUE(by_hex.identity_columns.empty());
  EXPECT_EQ(by_hex.by_row[0], 210);
  EXPECT_EQ(by_hex.by_row[1], 90);
  EXPECT_EQ(by_hex.by_bytes_alone, 0u);
}

}  // namespace
}  // namespace surrogate::dataset
