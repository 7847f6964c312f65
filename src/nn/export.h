// Export of a trained HierarchicalLstm to the runtime's model file (.srg),
// which the LibTorch-free runtime (src/runtime) loads.
#pragma once

#include <nlohmann/json.hpp>

#include "block/vocabulary.h"
#include "nn/hierarchical_lstm.h"
#include "runtime/model_file.h"

namespace surrogate::nn {

// Only unconditioned models (no parameter inputs) can be exported: the
// runtime serves a surrogate of one fixed CPU. Throws std::invalid_argument
// otherwise. `metadata` is stored verbatim. `frontend`: the one the model
// was trained with (runtime/frontend.h); its feature count must be the model's.
runtime::ModelFile export_model(HierarchicalLstm& model, const block::Vocabulary& vocabulary,
                                const nlohmann::json& metadata, std::string_view frontend = runtime::kModelFrontend);

// The reverse: an exported model's weights into `model`, which must have its
// shape (vocabulary size, width, depth) and no parameter inputs; throws
// std::invalid_argument otherwise. To continue training a deployed model
// (more data, or measured throughputs: neural adaptation).
void import_model(HierarchicalLstm& model, const runtime::ModelFile& file);

}  // namespace surrogate::nn
