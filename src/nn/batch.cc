#include "nn/batch.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "block/dependencies.h"

namespace surrogate::nn {

Batch make_batch(std::span<const dataset::EncodedBlock* const> blocks) {
  std::map<std::vector<std::int32_t>, std::int64_t> distinct;
  std::vector<const std::vector<std::int32_t>*> rows;
  std::int64_t max_instructions = 0;
  for (const dataset::EncodedBlock* b : blocks) {
    max_instructions = std::max<std::int64_t>(max_instructions, b->instructions.size());
    for (const auto& inst : b->instructions)
      if (distinct.emplace(inst, static_cast<std::int64_t>(rows.size())).second) rows.push_back(&inst);
  }
  std::int64_t max_tokens = 0;
  for (const auto* r : rows) max_tokens = std::max<std::int64_t>(max_tokens, r->size());
  const std::int64_t U = rows.size(), B = blocks.size();

  Batch batch;
  batch.tokens = torch::zeros({U, max_tokens}, torch::kInt64);
  batch.token_lengths = torch::empty({U}, torch::kInt64);
  auto tok = batch.tokens.accessor<int64_t, 2>();
  auto tlen = batch.token_lengths.accessor<int64_t, 1>();
  for (std::int64_t u = 0; u < U; ++u) {
    const auto& r = *rows[u];
    tlen[u] = r.size();
    for (std::size_t t = 0; t < r.size(); ++t) tok[u][t] = r[t];
  }
  // Dependency features when every block has them (all or none do).
  const bool features = !blocks[0]->features.empty();
  const std::int64_t F =
      features ? static_cast<std::int64_t>(blocks[0]->features.size() / blocks[0]->instructions.size()) : 0;
  if (features) batch.instruction_features = torch::zeros({B, max_instructions, F}, torch::kFloat32);
  // Parameter rows and globals likewise (parameter-conditioned surrogates).
  const bool conditioned = !blocks[0]->parameters.empty();
  const std::int64_t P =
      conditioned ? static_cast<std::int64_t>(blocks[0]->parameters.size() / blocks[0]->instructions.size()) : 0;
  const std::int64_t G = blocks[0]->globals.size();
  if (conditioned) batch.instruction_params = torch::zeros({B, max_instructions, P}, torch::kFloat32);
  if (G) batch.global_params = torch::empty({B, G}, torch::kFloat32);
  batch.instruction_index = torch::full({B, max_instructions}, U, torch::kInt64);
  batch.block_lengths = torch::empty({B}, torch::kInt64);
  batch.throughput = torch::empty({B}, torch::kFloat32);
  auto idx = batch.instruction_index.accessor<int64_t, 2>();
  auto blen = batch.block_lengths.accessor<int64_t, 1>();
  auto tp = batch.throughput.accessor<float, 1>();
  for (std::int64_t b = 0; b < B; ++b) {
    const dataset::EncodedBlock& e = *blocks[b];
    blen[b] = e.instructions.size();
    tp[b] = e.throughput;
    for (std::size_t i = 0; i < e.instructions.size(); ++i) idx[b][i] = distinct.at(e.instructions[i]);
    if (features) {
      if (e.features.size() != e.instructions.size() * static_cast<std::size_t>(F))
        throw std::logic_error("make_batch: a block without its dependency features");
      std::copy(e.features.begin(), e.features.end(), batch.instruction_features[b].data_ptr<float>());
    }
    if (conditioned) {
      if (e.parameters.size() != e.instructions.size() * static_cast<std::size_t>(P))
        throw std::logic_error("make_batch: a block without its parameter rows");
      std::copy(e.parameters.begin(), e.parameters.end(), batch.instruction_params[b].data_ptr<float>());
    }
    if (G) {
      if (e.globals.size() != static_cast<std::size_t>(G))
        throw std::logic_error("make_batch: a block without its globals");
      std::copy(e.globals.begin(), e.globals.end(), batch.global_params[b].data_ptr<float>());
    }
  }
  return batch;
}

}  // namespace surrogate::nn
