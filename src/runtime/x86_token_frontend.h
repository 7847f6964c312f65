// X86TokenFrontend ("llvm19-x86-tokens"): an x86-64 block's instructions as
// the tokenizer of block/tokenizer.h writes them; with dependency features
// ("llvm19-x86-dependencies": set kV1, "llvm19-x86-dependencies-v2": kV2)
// also the features of block/dependencies.h, from each instruction's
// dataflow kept beside its tokens (no decoding of instructions seen before). Machine code is split by
// the InstructionTable (lookups, no decoding for bytes seen before); a block
// the table cannot split (a prefix LLVM decodes as an instruction of its
// own, bytes that do not decode, control flow) goes through the Decoder as
// ever: the same errors, and a trailing branch dropped.
#pragma once

#include <optional>

#include "block/dependencies.h"
#include "runtime/frontend.h"
#include "runtime/instruction_table.h"

namespace surrogate::runtime {

class X86TokenFrontend final : public Frontend {
 public:
  static constexpr block::DependencyFeatureSet kSets[] = {
      block::DependencyFeatureSet::kNone, block::DependencyFeatureSet::kV1, block::DependencyFeatureSet::kV2};
  static constexpr std::string_view name_of(block::DependencyFeatureSet set) {
    return set == block::DependencyFeatureSet::kNone ? "llvm19-x86-tokens"
           : set == block::DependencyFeatureSet::kV1 ? "llvm19-x86-dependencies"
                                                     : "llvm19-x86-dependencies-v2";
  }
  // The set a frontend name stands for; nullopt: not an X86TokenFrontend's name.
  static std::optional<block::DependencyFeatureSet> set_of(std::string_view name);

  explicit X86TokenFrontend(const block::Vocabulary& vocabulary,
                            block::DependencyFeatureSet set = block::DependencyFeatureSet::kNone)
      : table_(vocabulary, set != block::DependencyFeatureSet::kNone), set_(set) {}

  std::string_view name() const override { return name_of(set_); }
  void split(std::span<const std::uint8_t> code, std::vector<std::uint32_t>* ids) override;
  std::size_t size() const override { return table_.size(); }
  const std::vector<std::int32_t>& tokens(std::uint32_t id) const override { return table_.tokens(id); }

  std::size_t feature_count() const override { return surrogate::block::feature_count(set_); }
  void features(const std::uint32_t* ids, std::size_t n, float* out) const override;
  Counts counts() const override { return {table_.byte_hits(), table_.token_hits(), table_.new_instructions()}; }

 private:
  InstructionTable table_;
  block::DependencyFeatureSet set_;
};

}  // namespace surrogate::runtime
