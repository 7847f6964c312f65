#include "nn/hierarchical_lstm.h"

namespace surrogate::nn {

namespace rnn = torch::nn::utils::rnn;

HierarchicalLstmImpl::HierarchicalLstmImpl(const LstmShape& shape) : shape_(shape) {
  embedding =
      register_module("embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(shape.vocabulary, shape.width)));
  token_lstm = register_module("token_lstm",
                               torch::nn::LSTM(torch::nn::LSTMOptions(shape.width, shape.width).batch_first(true)));
  instruction_lstm = register_module(
      "instruction_lstm", torch::nn::LSTM(torch::nn::LSTMOptions(shape.width + shape.instruction_features +
                                                                     shape.instruction_params + shape.global_params,
                                                                 shape.width)
                                              .num_layers(shape.depth)
                                              .batch_first(true)));
  head = register_module("head", torch::nn::Linear(shape.width, 1));
}

torch::Tensor HierarchicalLstmImpl::embed_instructions(const torch::Tensor& tokens, const torch::Tensor& lengths) {
  return summarise_tokens(embedding(tokens), lengths);
}

torch::Tensor HierarchicalLstmImpl::summarise_tokens(const torch::Tensor& token_embeddings,
                                                     const torch::Tensor& lengths) {
  auto packed = rnn::pack_padded_sequence(token_embeddings, lengths, /*batch_first=*/true, /*enforce_sorted=*/false);
  auto [out, state] = token_lstm->forward_with_packed_input(packed);
  return std::get<0>(state)[0];  // final h of the single layer: [U, W]
}

torch::Tensor HierarchicalLstmImpl::forward(const Batch& batch) {
  return forward_embedded(batch, embedding(batch.tokens));
}

torch::Tensor HierarchicalLstmImpl::forward_embedded(const Batch& batch, const torch::Tensor& token_embeddings) {
  torch::Tensor instructions = summarise_tokens(token_embeddings, batch.token_lengths);
  // Row U is the padding of blocks shorter than the longest one.
  instructions = torch::cat({instructions, torch::zeros({1, shape_.width}, instructions.options())});
  const int64_t B = batch.instruction_index.size(0), I = batch.instruction_index.size(1);
  torch::Tensor x = instructions.index_select(0, batch.instruction_index.reshape({-1})).view({B, I, shape_.width});
  std::vector<torch::Tensor> parts{x};
  if (shape_.instruction_features > 0) parts.push_back(batch.instruction_features);
  if (shape_.instruction_params > 0) parts.push_back(batch.instruction_params);
  if (shape_.global_params > 0) parts.push_back(batch.global_params.unsqueeze(1).expand({B, I, shape_.global_params}));
  if (parts.size() > 1) x = torch::cat(parts, 2);
  auto packed = rnn::pack_padded_sequence(x, batch.block_lengths, /*batch_first=*/true, /*enforce_sorted=*/false);
  auto [out, state] = instruction_lstm->forward_with_packed_input(packed);
  torch::Tensor last = std::get<0>(state)[shape_.depth - 1];  // [B, W]
  return head(last).squeeze(1);
}

torch::Tensor mape_loss(const torch::Tensor& log_predicted, const torch::Tensor& throughput) {
  // |exp(y) - t| / t = |exp(y - log t) - 1|, computed without overflow for large t.
  return (torch::exp(log_predicted - torch::log(throughput)) - 1).abs().mean();
}

torch::Tensor log_error_loss(const torch::Tensor& log_predicted, const torch::Tensor& throughput) {
  return (log_predicted - torch::log(throughput)).abs().mean();
}

}  // namespace surrogate::nn
