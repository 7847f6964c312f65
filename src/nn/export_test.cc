// The LibTorch model and its export run by the LibTorch-free runtime agree.
#include "nn/export.h"

#include <gtest/gtest.h>

#include "block/block_reader.h"
#include "block/dependencies.h"
#include "dataset/encoded_dataset.h"
#include "nn/batch.h"
#include "nn/trainer.h"
#include "runtime/frontend.h"
#include "runtime/x86_token_frontend.h"
#include "runtime/predictor.h"

namespace surrogate::nn {
namespace {

TEST(Export, RuntimeMatchesLibTorchWithinOneInTenThousand) {
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(300);
  dataset::LabelSet labels;
  for (const block::BasicBlock& b : blocks) labels.blocks.push_back({b.bytes, 100.f, ""});
  dataset::TokenizedLabels tokens = dataset::tokenize_labels(labels, 1, block::DependencyFeatureSet::kNone);
  // A vocabulary of half the blocks, so the other half meets <unk> too.
  dataset::LabelSet half = labels;
  for (std::size_t i = 150; i < half.blocks.size(); ++i) half.blocks[i].throughput = std::nanf("");
  block::Vocabulary vocabulary = block::Vocabulary::build([&] {
    std::vector<block::InstructionTokens> seen;
    for (std::size_t i = 0; i < 150; ++i) seen.insert(seen.end(), tokens.blocks[i].begin(), tokens.blocks[i].end());
    return seen;
  }());

  using Set = block::DependencyFeatureSet;
  for (auto [depth, set] :
       {std::pair<std::int64_t, Set>{1, Set::kNone}, {2, Set::kNone}, {1, Set::kV1}, {1, Set::kV2}}) {
    const auto features = static_cast<std::int64_t>(block::feature_count(set));
    const std::string frontend_name(runtime::X86TokenFrontend::name_of(set));
    SCOPED_TRACE("depth " + std::to_string(depth) + ", frontend " + frontend_name);
    std::vector<dataset::EncodedBlock> encoded =
        dataset::encode_labels(labels, dataset::tokenize_labels(labels, 1, set), vocabulary);
    ASSERT_EQ(encoded.size(), blocks.size());
    torch::manual_seed(5 + depth);
    HierarchicalLstm model(LstmShape{static_cast<std::int64_t>(vocabulary.size()), 16, depth, 0, 0, features});
    {
      torch::NoGradGuard no_grad;
      model->head->bias.fill_(std::log(150.0));
    }
    std::vector<const dataset::EncodedBlock*> all;
    for (const dataset::EncodedBlock& e : encoded) all.push_back(&e);
    std::vector<float> log_torch = predict_log(model, all);

    runtime::ModelFile file = export_model(model, vocabulary, {{"cpu", "test"}}, frontend_name);
    runtime::ModelFile reread = runtime::parse_model_file(runtime::serialize_model_file(file), "export");
    runtime::Predictor predictor(reread);
    std::vector<double> fast = predictor.predict(blocks, 1);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      double want = std::exp(double(log_torch[i]));
      EXPECT_NEAR(fast[i] / want, 1.0, 1e-4) << "depth " << depth << " block " << i << " " << blocks[i].hex();
    }
    // The model's frontend (split machine code, dataflow kept per instruction) gives the same values.
    EXPECT_EQ(reread.frontend, frontend_name);
    EXPECT_THROW(
        export_model(model, vocabulary, {}, set == Set::kV2 ? "llvm19-x86-dependencies" : "llvm19-x86-dependencies-v2"),
        std::invalid_argument);
    std::unique_ptr<runtime::Frontend> frontend = runtime::make_frontend(reread.frontend, vocabulary);
    std::vector<std::uint32_t> ids;
    std::vector<std::size_t> starts{0};
    for (const block::BasicBlock& b : blocks) {
      frontend->split(b.bytes, &ids);
      starts.push_back(ids.size());
    }
    EXPECT_EQ(runtime::Predictor(reread).predict(*frontend, ids, starts, 2), fast);

    // Imported into a model initialised otherwise: the same weights, the same predictions.
    torch::manual_seed(99);
    HierarchicalLstm again(LstmShape{static_cast<std::int64_t>(vocabulary.size()), 16, depth, 0, 0, features});
    import_model(again, reread);
    EXPECT_EQ(predict_log(again, all), log_torch) << "depth " << depth;
    HierarchicalLstm wider(LstmShape{static_cast<std::int64_t>(vocabulary.size()), 32, depth, 0, 0, features});
    EXPECT_THROW(import_model(wider, reread), std::invalid_argument);
    HierarchicalLstm other_inputs(LstmShape{static_cast<std::int64_t>(vocabulary.size()), 16, depth, 0, 0,
                                            features ? 0 : static_cast<std::int64_t>(block::feature_count(Set::kV2))});
    EXPECT_THROW(import_model(other_inputs, reread), std::invalid_argument);
  }
}

TEST(Export, ConditionedModelsAreRefused) {
  HierarchicalLstm model(LstmShape{10, 8, 1, 3, 0});
  EXPECT_THROW(export_model(model, block::Vocabulary(), {}), std::invalid_argument);
}

}  // namespace
}  // namespace surrogate::nn
