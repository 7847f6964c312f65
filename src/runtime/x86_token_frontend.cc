#include "runtime/x86_token_frontend.h"

#include "block/decoder.h"
#include "util/input_error.h"

namespace surrogate::runtime {

void X86TokenFrontend::split(std::span<const std::uint8_t> code, std::vector<std::uint32_t>* ids) {
  if (table_.split(code.data(), code.size(), ids, nullptr)) return;
  // Not plain instructions the table knows how to split: decoded as ever
  // (same errors; a trailing branch dropped), then looked up. decode_block
  // throws before anything is appended.
  const block::BytePosition where{{"", 0, 0}, 1};
  table_.encode(table_.decoder().decode_block({code.begin(), code.end()}, "", where, nullptr), ids);
}

std::optional<block::DependencyFeatureSet> X86TokenFrontend::set_of(std::string_view name) {
  for (block::DependencyFeatureSet set : kSets)
    if (name == name_of(set)) return set;
  return std::nullopt;
}

void X86TokenFrontend::features(const std::uint32_t* ids, std::size_t n, float* out) const {
  if (set_ == block::DependencyFeatureSet::kNone) return;
  thread_local std::vector<block::InstructionDataflow> dataflow;  // features() is read from many threads
  dataflow.clear();
  for (std::size_t i = 0; i < n; ++i) dataflow.push_back(table_.dataflow(ids[i]));
  block::dependency_features(dataflow, set_, out);
}

}  // namespace surrogate::runtime
