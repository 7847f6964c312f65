// Training a HierarchicalLstm on encoded blocks (the train split), with early
// stopping on the validation split, as the paper trains its surrogates:
// Adam, the MAPE loss, the learning rate halved when validation MAPE stalls.
//
// Reproducible and resumable: the order of blocks in epoch e is a shuffle
// seeded by (seed, e); the checkpoint (written atomically every
// `checkpoint_steps` steps and at each epoch's end) holds the weights, Adam's
// state, the position (epoch, step), the schedule and the best weights, so a
// killed run continued from it ends with the same weights as an uninterrupted
// one (same thread count).
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "dataset/encoded_dataset.h"
#include "nn/hierarchical_lstm.h"
#include "nn/train_options.h"

namespace surrogate::nn {

struct EpochRecord {
  int epoch = 0;  // 1-based
  double train_mape = 0, validation_mape = 0, learning_rate = 0, seconds = 0;
  double blocks_per_second = 0;
};

struct TrainResult {
  std::vector<EpochRecord> epochs;
  double best_validation_mape = 0;
  int best_epoch = 0;
  bool resumed = false;
  bool interrupted = false;  // cancel was set: checkpoint written, training not finished
};

// Trains `model` in place; at the end it holds the best weights (by
// validation MAPE). `log` gets one line per epoch. `cancel`, when set,
// stops after the current step with a checkpoint.
TrainResult train(HierarchicalLstm& model, const std::vector<dataset::EncodedBlock>& data, const TrainOptions& options,
                  std::ostream& log, const std::function<bool()>& cancel = {});

// log-throughput predictions for `blocks`, in order (no gradients).
std::vector<float> predict_log(HierarchicalLstm& model, const std::vector<const dataset::EncodedBlock*>& blocks,
                               std::int64_t batch_size = 256);

// MAPE of the model over `blocks`.
double evaluate_mape(HierarchicalLstm& model, const std::vector<const dataset::EncodedBlock*>& blocks);

}  // namespace surrogate::nn
