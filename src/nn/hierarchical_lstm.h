// HierarchicalLstm: Ithemal's surrogate of a basic-block throughput model.
//
//   token ids -> embedding (W) -> token LSTM (W) -> final h = instruction embedding
//   instruction embeddings [+ dependency features (F)] [+ per-instruction parameter row (P)]
//     [+ global parameters (G)]
//     -> instruction LSTM (W, `depth` layers) -> final h -> linear -> y
//   predicted throughput = exp(y), cycles per 100 iterations.
//
// Parameter conditioning (DiffTune): with P > 0 or G > 0 each instruction's
// step of the instruction LSTM also reads its row of CPU parameters and the
// global parameters; gradients flow to those inputs as to the weights.
//
// Dependency features (F = kDependencyFeatures, block/dependencies.h): each
// instruction's step also reads how it depends on the block's other
// instructions (producer distances, loop-carried, recurrences). They depend
// on the block, not on the instruction alone, so the runtime adds their part
// of the preactivation to the cached embedding's part at each step.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace surrogate::nn {

struct LstmShape {
  std::int64_t vocabulary = 2;            // tokens, including <pad> (0) and <unk> (1)
  std::int64_t width = 32;                // W: embedding and hidden size of both LSTMs
  std::int64_t depth = 1;                 // layers of the instruction LSTM
  std::int64_t instruction_params = 0;    // P, 0 = not conditioned
  std::int64_t global_params = 0;         // G, 0 = not conditioned
  std::int64_t instruction_features = 0;  // F, 0 = none (the model's frontend says which)
};

// A mini-batch in tensors (batch.h builds it).
struct Batch {
  torch::Tensor tokens;                // [U, L] int64: distinct instructions' token ids, 0-padded
  torch::Tensor token_lengths;         // [U] int64 (CPU)
  torch::Tensor instruction_index;     // [B, I] int64: row of tokens per block step; U = padding
  torch::Tensor block_lengths;         // [B] int64 (CPU)
  torch::Tensor instruction_features;  // [B, I, F] float, or undefined
  torch::Tensor instruction_params;    // [B, I, P] float, or undefined
  torch::Tensor global_params;         // [B, G] float, or undefined
  torch::Tensor throughput;            // [B] float: labels, cycles per 100 iterations (may be undefined)
};

class HierarchicalLstmImpl : public torch::nn::Module {
 public:
  explicit HierarchicalLstmImpl(const LstmShape& shape);

  // log of the predicted throughput, [B].
  torch::Tensor forward(const Batch& batch);
  // The same from the token embeddings of batch.tokens given, [U, L, W]:
  // e.g. a leaf tensor whose gradient is wanted (optimize's operand guide).
  torch::Tensor forward_embedded(const Batch& batch, const torch::Tensor& token_embeddings);
  // Instruction embeddings of the batch's distinct instructions, [U, W].
  torch::Tensor embed_instructions(const torch::Tensor& tokens, const torch::Tensor& lengths);

  const LstmShape& shape() const { return shape_; }

  torch::nn::Embedding embedding{nullptr};
  torch::nn::LSTM token_lstm{nullptr};
  torch::nn::LSTM instruction_lstm{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  // The token LSTM's final state for each distinct instruction, [U, W].
  torch::Tensor summarise_tokens(const torch::Tensor& token_embeddings, const torch::Tensor& lengths);

  LstmShape shape_;
};
TORCH_MODULE(HierarchicalLstm);

// The paper's loss: mean |exp(log_pred) - t| / t over the batch. Its
// gradient through the log output is about p / t for p << t, so a block
// predicted far too low (100x: 0.01) is barely learned.
torch::Tensor mape_loss(const torch::Tensor& log_predicted, const torch::Tensor& throughput);
// Mean |log_pred - log t|: the same gradient however far off a block is.
torch::Tensor log_error_loss(const torch::Tensor& log_predicted, const torch::Tensor& throughput);

}  // namespace surrogate::nn
