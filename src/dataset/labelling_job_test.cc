#include "dataset/labelling_job.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "block/block_reader.h"
#include "mca/simulator_labeller.h"

namespace surrogate::dataset {
namespace {

// Real blocks (haswell, llvm-mca 19): add chain, imul, an empty block (the
// simulator refuses it: a per-block error) and one add.
std::vector<block::BasicBlock> test_blocks() {
  block::BlockFile f = block::read_block_text("4801c04801c04801c04801c0\n480fafc0\n4801d8\n", "blocks.csv");
  block::BasicBlock empty;
  empty.name = "empty";
  f.blocks.insert(f.blocks.begin() + 2, empty);
  return std::move(f.blocks);
}

// Cancels the job once `after` blocks were labelled (the real simulator underneath).
class CancellingLabeller final : public mca::Labeller {
 public:
  CancellingLabeller(const mca::Labeller& inner, int after, std::atomic<bool>* cancel)
      : inner_(inner), left_(after), cancel_(cancel) {}
  std::string description() const override { return inner_.description(); }
  std::string fingerprint() const override { return inner_.fingerprint(); }
  double label(const block::BasicBlock& b) const override {
    if (--left_ <= 0) *cancel_ = true;
    return inner_.label(b);
  }

 private:
  const mca::Labeller& inner_;
  mutable std::atomic<int> left_;
  std::atomic<bool>* cancel_;
};

std::string temp_output(const char* name) {
  auto p = std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(getpid()));
  std::filesystem::remove(p.string() + ".partial");
  return p.string();
}

TEST(LabellingJob, LabelsInInputOrderWithPerBlockErrors) {
  mca::SimulatorLabeller labeller(mca::CpuParams::stock("haswell"), 100, "-mcpu=haswell");
  auto blocks = test_blocks();
  ASSERT_EQ(blocks.size(), 4u);
  LabellingResult r = label_blocks(labeller, blocks, {.jobs = 2, .output = "", .progress_label = ""});
  ASSERT_EQ(r.labels.size(), 4u);
  for (size_t i : {0u, 1u, 3u}) {
    ASSERT_TRUE(r.labels[i].throughput) << i << ": " << r.labels[i].error;
    EXPECT_EQ(*r.labels[i].throughput, labeller.simulator().throughput(blocks[i]));
  }
  EXPECT_FALSE(r.labels[2].throughput);
  EXPECT_FALSE(r.labels[2].error.empty());
  EXPECT_EQ(r.labels[2].error.find('\n'), std::string::npos);
  EXPECT_FALSE(r.interrupted);
  EXPECT_NE(labeller.description().find("-mcpu=haswell -iterations=100"), std::string::npos);
}

TEST(LabellingJob, CancelledJobResumesFromItsJournalToTheSameValues) {
  mca::SimulatorLabeller labeller(mca::CpuParams::stock("haswell"), 7, "-mcpu=haswell");  // 7: non-integral values
  auto blocks = test_blocks();
  const std::string out = temp_output("labelling-resume");
  LabellingResult whole = label_blocks(labeller, blocks, {.jobs = 1, .output = "", .progress_label = ""});

  std::atomic<bool> cancel{false};
  CancellingLabeller cancelling(labeller, 2, &cancel);
  bool written = false;
  LabellingResult first =
      label_blocks(cancelling, blocks, {.jobs = 1, .output = out, .progress_label = "", .cancel = &cancel},
                   [&](auto&) { written = true; });
  EXPECT_TRUE(first.interrupted);
  EXPECT_FALSE(written);
  EXPECT_TRUE(std::filesystem::exists(out + ".partial"));

  LabellingResult second =
      label_blocks(labeller, blocks, {.jobs = 1, .output = out, .progress_label = ""}, [&](auto&) { written = true; });
  EXPECT_FALSE(second.interrupted);
  EXPECT_TRUE(written);
  EXPECT_EQ(second.resumed, 2u);
  EXPECT_FALSE(std::filesystem::exists(out + ".partial")) << "journal removed once the output is written";
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(second.labels[i].throughput, whole.labels[i].throughput) << i;
    EXPECT_EQ(second.labels[i].error, whole.labels[i].error) << i;
  }
}

TEST(LabellingJob, AFailedWriteKeepsTheJournal) {
  mca::SimulatorLabeller labeller(mca::CpuParams::stock("haswell"), 100, "-mcpu=haswell");
  const std::string out = temp_output("labelling-failed-write");
  auto blocks = test_blocks();
  EXPECT_THROW(label_blocks(labeller, blocks, {.jobs = 1, .output = out, .progress_label = ""},
                            [](auto&) { throw std::runtime_error("disk full"); }),
               std::runtime_error);
  EXPECT_TRUE(std::filesystem::exists(out + ".partial"));
  LabellingResult again =
      label_blocks(labeller, blocks, {.jobs = 1, .output = out, .progress_label = ""}, [](auto&) {});
  EXPECT_EQ(again.resumed, blocks.size());
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

}  // namespace
}  // namespace surrogate::dataset
