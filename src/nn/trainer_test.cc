// Tiny models on tiny data: the training machinery, not accuracy.
#include "nn/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "block/block_reader.h"
#include "mca/simulator.h"
#include "nn/batch.h"

namespace surrogate::nn {
namespace {

// The first n blocks of the shipped sample, labelled by the haswell simulator.
struct Tiny {
  dataset::LabelSet labels;
  block::Vocabulary vocabulary;
  std::vector<dataset::EncodedBlock> data;
};

const Tiny& tiny() {
  static const Tiny t = [] {
    Tiny t;
    std::vector<block::BasicBlock> blocks =
        block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
    mca::Simulator simulator(mca::CpuParams::stock("haswell"));
    for (std::size_t i = 0; i < 96; ++i)
      t.labels.blocks.push_back({blocks[i].bytes, static_cast<float>(simulator.throughput(blocks[i], 100)), ""});
    dataset::TokenizedLabels tokens = dataset::tokenize_labels(t.labels, 1, block::DependencyFeatureSet::kNone);
    t.vocabulary = dataset::training_vocabulary(t.labels, tokens);
    t.data = dataset::encode_labels(t.labels, tokens, t.vocabulary);
    return t;
  }();
  return t;
}

// All blocks in the training split (the validation set then falls back to it).
std::vector<dataset::EncodedBlock> all_train(std::size_t n) {
  std::vector<dataset::EncodedBlock> d(tiny().data.begin(), tiny().data.begin() + n);
  for (dataset::EncodedBlock& b : d) b.split = dataset::Split::kTrain;
  return d;
}

HierarchicalLstm make_model(std::int64_t width, std::uint64_t seed, std::int64_t p = 0, std::int64_t g = 0) {
  torch::manual_seed(seed);
  return HierarchicalLstm(LstmShape{static_cast<std::int64_t>(tiny().vocabulary.size()), width, 1, p, g});
}

bool same_weights(HierarchicalLstm& a, HierarchicalLstm& b) {
  auto pa = a->parameters(), pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

TEST(Trainer, OverfitsSixtyFourBlocks) {
  std::vector<dataset::EncodedBlock> data = all_train(64);
  HierarchicalLstm model = make_model(48, 1);
  TrainOptions o;
  o.batch_size = 8;
  o.learning_rate = 5e-3;
  o.max_epochs = 300;
  o.patience = 60;
  o.decay_after = 25;
  std::ostringstream log;
  TrainResult r = train(model, data, o, log);
  ASSERT_FALSE(r.epochs.empty());
  EXPECT_LT(r.epochs.back().train_mape, r.epochs.front().train_mape) << log.str();
  std::vector<const dataset::EncodedBlock*> all;
  for (const dataset::EncodedBlock& b : data) all.push_back(&b);
  EXPECT_LT(evaluate_mape(model, all), 0.02) << log.str();
}

TEST(Trainer, KilledAndResumedEqualsUninterrupted) {
  std::vector<dataset::EncodedBlock> data = all_train(96);
  TrainOptions o;
  o.batch_size = 8;
  o.max_epochs = 3;
  o.checkpoint_steps = 5;
  o.config = "test";
  std::ostringstream log;

  HierarchicalLstm straight = make_model(16, 7);
  train(straight, data, o, log);

  std::string path = ::testing::TempDir() + "resume_" + std::to_string(getpid()) + ".ckpt";
  std::filesystem::remove(path);
  o.checkpoint = path;
  HierarchicalLstm first = make_model(16, 7);
  int steps = 0;
  TrainResult cut = train(first, data, o, log, [&] { return ++steps > 17; });  // mid-epoch 2
  ASSERT_TRUE(cut.interrupted);
  HierarchicalLstm resumed = make_model(16, 99);  // other initial weights: all must come from the checkpoint
  TrainResult r = train(resumed, data, o, log);
  EXPECT_TRUE(r.resumed);
  EXPECT_EQ(r.epochs.size(), 3u);
  EXPECT_TRUE(same_weights(straight, resumed)) << log.str();

  o.config = "other";
  HierarchicalLstm other = make_model(16, 7);
  EXPECT_THROW(train(other, data, o, log), std::runtime_error);
  std::filesystem::remove(path);
}

TEST(HierarchicalLstm, GradientsReachParameterInputs) {
  std::vector<dataset::EncodedBlock> data = all_train(4);
  std::vector<const dataset::EncodedBlock*> blocks;
  for (const dataset::EncodedBlock& b : data) blocks.push_back(&b);
  HierarchicalLstm model = make_model(8, 3, /*p=*/3, /*g=*/2);
  Batch batch = make_batch(blocks);
  batch.instruction_params =
      torch::rand({batch.instruction_index.size(0), batch.instruction_index.size(1), 3}, torch::requires_grad());
  batch.global_params = torch::rand({batch.instruction_index.size(0), 2}, torch::requires_grad());
  mape_loss(model->forward(batch), batch.throughput).backward();
  EXPECT_GT(batch.instruction_params.grad().abs().sum().item<double>(), 0);
  EXPECT_GT(batch.global_params.grad().abs().sum().item<double>(), 0);
}

// A block predicted 100x too low: MAPE's gradient through the log output
// is p / t = 0.01 per block, the log error's stays 1, and both losses are
// right at the truth.
TEST(Losses, LogErrorKeepsItsGradientFarBelowTheLabel) {
  const torch::Tensor truth = torch::tensor({3469.0f});
  for (const bool log_error : {false, true}) {
    torch::Tensor y = torch::log(torch::tensor({34.69f})).requires_grad_();
    (log_error ? log_error_loss(y, truth) : mape_loss(y, truth)).backward();
    EXPECT_NEAR(y.grad().item<float>(), log_error ? -1.0f : -0.01f, 1e-5) << log_error;
    EXPECT_NEAR(
        (log_error ? log_error_loss(torch::log(truth), truth) : mape_loss(torch::log(truth), truth)).item<float>(),
        0.0f, 1e-6);
  }
  // 2x too high and 2x too low: log 2 either way; MAPE 100% and 50%.
  const torch::Tensor two = torch::tensor({100.0f, 100.0f});
  const torch::Tensor off = torch::log(torch::tensor({200.0f, 50.0f}));
  EXPECT_NEAR(log_error_loss(off, two).item<float>(), std::log(2.0f), 1e-6);
  EXPECT_NEAR(mape_loss(off, two).item<float>(), 0.75f, 1e-6);
}

TEST(Batch, RepeatedInstructionsAreEmbeddedOnce) {
  dataset::EncodedBlock a, b;
  a.instructions = {{5, 6, 7}, {8, 9}, {5, 6, 7}};
  b.instructions = {{8, 9}};
  a.throughput = b.throughput = 100;
  std::vector<const dataset::EncodedBlock*> blocks{&a, &b};
  Batch batch = make_batch(blocks);
  EXPECT_EQ(batch.tokens.size(0), 2);
  EXPECT_EQ(batch.instruction_index[0][0].item<int64_t>(), batch.instruction_index[0][2].item<int64_t>());
  EXPECT_EQ(batch.instruction_index[1][1].item<int64_t>(), 2);  // padding row
}

}  // namespace
}  // namespace surrogate::nn
