// Labelled blocks as the surrogate consumes them: decoded, tokenized and
// mapped to vocabulary ids, each in its deterministic split (split.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "block/dependencies.h"
#include "block/tokenizer.h"
#include "block/vocabulary.h"
#include "dataset/label_store.h"
#include "dataset/split.h"

namespace surrogate::dataset {

struct EncodedBlock {
  std::vector<std::vector<std::int32_t>> instructions;  // token ids per instruction
  float throughput = 0;                                 // cycles per 100 iterations (> 0)
  Split split = Split::kTrain;
  std::uint32_t row = 0;            // index in the LabelSet
  std::uint32_t parameter_set = 0;  // LabelSet::parameter_sets index the label was made under (0: base values)
  // block/dependencies.h: feature_count(set) floats per instruction, in
  // order, for the set the data were tokenized with (empty for kNone).
  std::vector<float> features;
  // Parameter conditioning (nn/hierarchical_lstm.h P and G), empty when the
  // surrogate is not conditioned: the CPU parameters the label was made
  // under, P floats per instruction in order and G global floats.
  std::vector<float> parameters;
  std::vector<float> globals;
};

// Blocks decoded and tokenized, before the vocabulary exists.
struct TokenizedLabels {
  std::vector<std::vector<block::InstructionTokens>> blocks;  // empty for skipped rows
  std::vector<std::vector<float>> features;  // dependency_features of each block (block/dependencies.h)
  std::size_t skipped = 0;                   // rows without a positive label or that do not decode
};

// Decodes and tokenizes every labelled row on `jobs` threads, with the
// dependency features of `set`.
TokenizedLabels tokenize_labels(const LabelSet& labels, unsigned jobs, block::DependencyFeatureSet set);

// The vocabulary of the training split (tokens seen at least min_count times).
block::Vocabulary training_vocabulary(const LabelSet& labels, const TokenizedLabels& tokens, std::size_t min_count = 1);

// Every usable row, encoded with `vocabulary`.
std::vector<EncodedBlock> encode_labels(const LabelSet& labels, const TokenizedLabels& tokens,
                                        const block::Vocabulary& vocabulary);

}  // namespace surrogate::dataset
