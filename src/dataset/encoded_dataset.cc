#include "dataset/encoded_dataset.h"

#include "block/decoder.h"
#include "block/dependencies.h"
#include "util/input_error.h"
#include "util/parallel.h"

namespace surrogate::dataset {

TokenizedLabels tokenize_labels(const LabelSet& labels, unsigned jobs, block::DependencyFeatureSet set) {
  TokenizedLabels out;
  out.blocks.resize(labels.blocks.size());
  out.features.resize(labels.blocks.size());
  std::vector<block::Decoder> decoders(std::max(1u, jobs));
  std::vector<std::size_t> skipped(decoders.size());
  util::parallel_for(labels.blocks.size(), static_cast<unsigned>(decoders.size()), [&](std::size_t i, unsigned worker) {
    const LabelledBlock& row = labels.blocks[i];
    if (!row.labelled() || !(row.throughput > 0)) {
      ++skipped[worker];
      return;
    }
    try {
      block::BasicBlock b = decoders[worker].decode_block(row.bytes, "row " + std::to_string(i), {}, nullptr);
      out.blocks[i] = block::tokenize_block(b);
      out.features[i].resize(b.instructions.size() * feature_count(set));
      block::dependency_features(b, set, out.features[i].data());
    } catch (const util::InputError&) {
      ++skipped[worker];
    }
  });
  for (std::size_t s : skipped) out.skipped += s;
  return out;
}

block::Vocabulary training_vocabulary(const LabelSet& labels, const TokenizedLabels& tokens, std::size_t min_count) {
  std::vector<block::InstructionTokens> seen;
  for (std::size_t i = 0; i < tokens.blocks.size(); ++i)
    if (split_of(labels.blocks[i].bytes) == Split::kTrain)
      seen.insert(seen.end(), tokens.blocks[i].begin(), tokens.blocks[i].end());
  return block::Vocabulary::build(seen, min_count);
}

std::vector<EncodedBlock> encode_labels(const LabelSet& labels, const TokenizedLabels& tokens,
                                        const block::Vocabulary& vocabulary) {
  std::vector<EncodedBlock> out;
  for (std::size_t i = 0; i < tokens.blocks.size(); ++i) {
    if (tokens.blocks[i].empty()) continue;
    EncodedBlock e;
    for (const block::InstructionTokens& inst : tokens.blocks[i]) e.instructions.push_back(vocabulary.encode(inst));
    e.throughput = labels.blocks[i].throughput;
    e.split = split_of(labels.blocks[i].bytes);
    e.row = static_cast<std::uint32_t>(i);
    e.parameter_set = labels.blocks[i].parameter_set;
    e.features = tokens.features[i];
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace surrogate::dataset
