#include "apps/gradient_operand_guide.h"

#include <torch/torch.h>

#include <stdexcept>

#include "block/basic_block.h"
#include "block/dependencies.h"
#include "block/tokenizer.h"
#include "dataset/encoded_dataset.h"
#include "nn/batch.h"
#include "nn/export.h"
#include "nn/hierarchical_lstm.h"
#include "runtime/frontend.h"

namespace surrogate::apps {

struct GradientOperandGuide::Impl {
  block::Vocabulary vocabulary;
  block::DependencyFeatureSet feature_set;
  std::size_t features = 0;  // per instruction
  nn::HierarchicalLstm model{nullptr};
  torch::Tensor embedding_table;  // [V, W], no gradient

  // The block the gradient below is of.
  std::vector<std::vector<std::int32_t>> block_tokens;
  std::vector<float> block_features;
  nn::Batch batch;
  torch::Tensor token_gradient;    // [U, L, W]
  torch::Tensor feature_gradient;  // [I, F], or undefined
  std::size_t computed = 0;

  dataset::EncodedBlock encode(const std::vector<llvm::MCInst>& instructions) const {
    dataset::EncodedBlock e;
    for (const llvm::MCInst& inst : instructions)
      e.instructions.push_back(vocabulary.encode(block::tokenize_instruction(inst)));
    e.features = features_of(instructions);
    e.throughput = 1;
    return e;
  }

  std::vector<float> features_of(const std::vector<llvm::MCInst>& instructions) const {
    std::vector<float> out(instructions.size() * features);
    if (features == 0) return out;
    block::BasicBlock b;
    b.instructions = instructions;
    block::dependency_features(b, feature_set, out.data());
    return out;
  }

  // Makes the gradient of `instructions` current.
  void differentiate(const std::vector<llvm::MCInst>& instructions) {
    dataset::EncodedBlock e = encode(instructions);
    if (computed > 0 && e.instructions == block_tokens && e.features == block_features) return;
    const dataset::EncodedBlock* one = &e;
    batch = nn::make_batch(std::span<const dataset::EncodedBlock* const>(&one, 1));
    torch::Tensor embedded = embedding_table.index_select(0, batch.tokens.reshape({-1}))
                                 .view({batch.tokens.size(0), batch.tokens.size(1), -1})
                                 .clone()
                                 .requires_grad_(true);
    nn::Batch input = batch;
    if (features > 0) input.instruction_features = batch.instruction_features.clone().requires_grad_(true);
    torch::Tensor y = model->forward_embedded(input, embedded);
    y.sum().backward();
    token_gradient = embedded.grad();
    feature_gradient = features > 0 ? input.instruction_features.grad()[0] : torch::Tensor();
    block_tokens = std::move(e.instructions);
    block_features = std::move(e.features);
    ++computed;
  }
};

GradientOperandGuide::GradientOperandGuide(const runtime::ModelFile& file) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.vocabulary = file.vocabulary;
  m.feature_set = runtime::dependency_feature_set(file.frontend);
  m.features = static_cast<std::size_t>(file.features());
  nn::LstmShape shape;
  shape.vocabulary = static_cast<std::int64_t>(file.vocabulary.size());
  shape.width = file.width;
  shape.depth = file.depth;
  shape.instruction_features = file.features();
  m.model = nn::HierarchicalLstm(shape);
  nn::import_model(m.model, file);
  m.model->eval();
  for (auto& p : m.model->parameters()) p.set_requires_grad(false);
  m.embedding_table = m.model->embedding->weight.detach();
}

GradientOperandGuide::~GradientOperandGuide() = default;

std::vector<double> GradientOperandGuide::estimate(const std::vector<llvm::MCInst>& block, std::size_t index,
                                                   const std::vector<llvm::MCInst>& variants) {
  Impl& m = *impl_;
  if (index >= block.size()) throw std::out_of_range("instruction index past the block");
  m.differentiate(block);
  const std::int64_t u = m.batch.instruction_index[0][static_cast<std::int64_t>(index)].item<std::int64_t>();
  const std::vector<std::int32_t>& before = m.block_tokens[index];
  torch::Tensor gradient = m.token_gradient[u];  // [L, W]
  std::vector<double> out;
  out.reserve(variants.size());
  std::vector<llvm::MCInst> changed = block;
  const torch::Tensor feature_gradient =
      m.features > 0 ? m.feature_gradient.contiguous() : torch::Tensor();  // [I, F], row-major as the features
  for (const llvm::MCInst& variant : variants) {
    const std::vector<std::int32_t> after = m.vocabulary.encode(block::tokenize_instruction(variant));
    if (after.size() != before.size()) {
      out.push_back(0);
      continue;
    }
    double change = 0;
    for (std::size_t l = 0; l < after.size(); ++l) {
      if (after[l] == before[l]) continue;
      torch::Tensor step = m.embedding_table[after[l]] - m.embedding_table[before[l]];
      change += (gradient[static_cast<std::int64_t>(l)] * step).sum().item<double>();
    }
    if (m.features > 0) {
      changed[index] = variant;
      const std::vector<float> f = m.features_of(changed);
      const float* gp = feature_gradient.data_ptr<float>();
      for (std::size_t k = 0; k < f.size(); ++k) change += gp[k] * (f[k] - m.block_features[k]);
      changed[index] = block[index];
    }
    out.push_back(change);
  }
  return out;
}

double GradientOperandGuide::log_prediction(const std::vector<llvm::MCInst>& block) {
  torch::NoGradGuard no_grad;
  dataset::EncodedBlock e = impl_->encode(block);
  const dataset::EncodedBlock* one = &e;
  return impl_->model->forward(nn::make_batch(std::span<const dataset::EncodedBlock* const>(&one, 1))).item<double>();
}

std::size_t GradientOperandGuide::gradients_computed() const { return impl_->computed; }

}  // namespace surrogate::apps
