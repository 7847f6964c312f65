// Training one surrogate from a label set, end to end: the data prepared once
// (decoded, tokenized, encoded with the training split's vocabulary), then
// a resumable training run that leaves PREFIX.ckpt, PREFIX.log.csv and the
// deployable PREFIX.srg. `surrogate train` runs it once; `surrogate compile`
// once per candidate width.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "block/basic_block.h"
#include "dataset/encoded_dataset.h"
#include "dataset/label_store.h"
#include "nn/trainer.h"

namespace surrogate::apps {

struct PreparedData {
  std::string frontend;  // the model input the blocks are encoded for (runtime/frontend.h)
  std::string labels_path;
  std::string labels_fingerprint;  // of the file's bytes
  dataset::LabelSet labels;
  block::Vocabulary vocabulary;
  std::vector<dataset::EncodedBlock> blocks;
  std::size_t skipped = 0;
  std::vector<const dataset::EncodedBlock*> of(dataset::Split split) const;
  // The rows' blocks decoded again (for a simulator or the runtime).
  std::vector<block::BasicBlock> decoded(const std::vector<const dataset::EncodedBlock*>& rows) const;
};

// The rows' labels, cycles per 100 iterations, in order.
std::vector<double> throughputs_of(const std::vector<const dataset::EncodedBlock*>& rows);

// `frontend`: the model input to encode for (its dependency features).
// `vocabulary`: encode with it (a model's, to continue training that model)
// instead of the training split's own. Throws std::invalid_argument on a
// frontend this build does not know.
PreparedData prepare_data(const std::string& labels_path, const std::string& frontend, unsigned jobs, std::ostream& log,
                          const block::Vocabulary* vocabulary = nullptr);

struct TrainedSurrogate {
  nn::TrainResult result;
  double validation_mape = 0, test_mape = 0;
  double training_seconds = 0;  // sum over epochs, across resumed runs
  std::string model_path;       // PREFIX.srg
};

// Trains (or resumes) the model PREFIX; exports it when training finishes.
// Throws on a checkpoint of another training. result.interrupted: `cancel()`
// was set, the checkpoint holds the progress and nothing was exported.
// `init`: a deployed model (.srg) whose weights training starts from; its
// width and depth replace `shape`'s, and `data` must be encoded with its
// vocabulary and frontend (prepare_data). shape.instruction_features is the
// data's frontend's. `metadata`: more fields for the model's metadata.
TrainedSurrogate train_surrogate(const PreparedData& data, const nn::LstmShape& shape, nn::TrainOptions options,
                                 const std::string& prefix, std::ostream& log, const std::function<bool()>& cancel,
                                 const std::string& init = "", const nlohmann::json& metadata = {});

}  // namespace surrogate::apps
