// X86TokenFrontend ("llvm19-x86-tokens"): an x86-64 block's instructions as
// the tokenizer of block/tokenizer.h writes them; with dependencies
// ("llvm19-x86-dependencies") also the features of block/dependencies.h,
// from each instruction's dataflow kept beside its tokens (no decoding of
// instructions seen before). Machine code is split by
// the InstructionTable (lookups, no decoding for bytes seen before); a block
// the table cannot split (a prefix LLVM decodes as an instruction of its
// own, bytes that do not decode, control flow) goes through the Decoder as
// ever: the same errors, and a trailing branch dropped.
#pragma once

#include "runtime/frontend.h"
#include "runtime/instruction_table.h"

namespace surrogate::runtime {

class X86TokenFrontend final : public Frontend {
 public:
  static constexpr std::string_view name_of(bool dependencies) {
    return dependencies ? "llvm19-x86-dependencies" : "llvm19-x86-tokens";
  }

  explicit X86TokenFrontend(const Vocabulary& vocabulary, bool dependencies = false)
      : table_(vocabulary, dependencies), dependencies_(dependencies) {}

  std::string_view name() const override { return name_of(dependencies_); }
  void split(std::span<const std::uint8_t> code, std::vector<std::uint32_t>* ids) override;
  std::size_t size() const override { return table_.size(); }
  const std::vector<std::int32_t>& tokens(std::uint32_t id) const override { return table_.tokens(id); }

  std::size_t feature_count() const override { return dependencies_ ? kDependencyFeatures : 0; }
  void features(const std::uint32_t* ids, std::size_t n, float* out) const override;
  Counts counts() const override { return {table_.byte_hits(), table_.token_hits(), table_.new_instructions()}; }

 private:
  InstructionTable table_;
  bool dependencies_;
};

}  // namespace surrogate::runtime
