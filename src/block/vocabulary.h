// Vocabulary: token <-> id for the surrogate's embedding table, built from
// training data and saved with the model (the token list, in id order).
//
// Invariant: id 0 is "<pad>" (never produced by the tokenizer) and id 1 is
// "<unk>", the id of every token not in the vocabulary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "block/tokenizer.h"

namespace surrogate::block {

class Vocabulary {
 public:
  static constexpr std::int32_t kPad = 0;
  static constexpr std::int32_t kUnk = 1;

  // Only <pad> and <unk>.
  Vocabulary();
  // From a saved token list; throws std::invalid_argument unless it starts
  // with <pad>, <unk> and has no duplicates.
  explicit Vocabulary(std::vector<std::string> tokens);

  // Every token seen at least min_count times in `instructions`, sorted by
  // falling count then by name (deterministic).
  static Vocabulary build(const std::vector<InstructionTokens>& instructions, std::size_t min_count = 1);

  std::int32_t id(const std::string& token) const;
  std::vector<std::int32_t> encode(const InstructionTokens& tokens) const;
  const std::vector<std::string>& tokens() const { return tokens_; }
  std::size_t size() const { return tokens_.size(); }

 private:
  std::vector<std::string> tokens_;
  absl::flat_hash_map<std::string, std::int32_t> ids_;
};

}  // namespace surrogate::block
