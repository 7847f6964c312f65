// Mini-batches of encoded blocks as tensors. Instructions repeated within a
// batch (common in real code) go through the token LSTM once.
#pragma once

#include <span>

#include "dataset/encoded_dataset.h"
#include "nn/hierarchical_lstm.h"

namespace surrogate::nn {

// `blocks` must be non-empty and each have at least one instruction.
Batch make_batch(std::span<const dataset::EncodedBlock* const> blocks);

}  // namespace surrogate::nn
