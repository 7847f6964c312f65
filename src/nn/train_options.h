// How a surrogate is trained (nn/trainer.h): plain settings, no LibTorch, so
// the readers of spec files can fill them in builds without it.
#pragma once

#include <cstdint>
#include <string>

namespace surrogate::nn {

struct TrainOptions {
  std::int64_t batch_size = 64;
  double learning_rate = 1e-3;
  int max_epochs = 30;
  int patience = 4;        // epochs without a better validation MAPE before stopping
  int decay_after = 2;     // ... and before each halving of the learning rate
  double max_seconds = 0;  // wall-clock budget of this run (0: none); ends at the last epoch
                           // expected (as long as the one before) to end within it
  double clip_norm = 10;   // gradient norm clipping
  std::uint64_t seed = 1;
  // Set the head's bias to the training blocks' mean log throughput first
  // (a fresh model); off for a model whose trained weights are continued.
  bool start_head_at_mean = true;
  int threads = 1;  // torch intra-op threads
  // The loss minimised: the paper's MAPE, or the mean absolute log error
  // (hierarchical_lstm.h). Validation and early stopping use MAPE either way.
  enum class Loss { kMape, kLogError } loss = Loss::kMape;
  std::int64_t checkpoint_steps = 500;
  std::string checkpoint;  // path; empty: no checkpoint
  std::string config;      // what the checkpoint must match to be resumed (model + data)
};

}  // namespace surrogate::nn
