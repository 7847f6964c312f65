// InstructionEncoder: an instruction straight to the model's token ids,
// without making the tokens' text.
//
// encode(inst) == vocabulary.encode(tokenize_instruction(inst)), always: it
// tokenizes into TokenRefs and looks each up in tables by kind and LLVM
// number, filled on first use from the vocabulary (an opcode's or a
// register's text is made once per encoder, not once per instruction).
// Holds a pointer to the vocabulary, which must outlive it. One thread at a
// time (the tables fill as it runs).
#pragma once

#include <cstdint>
#include <vector>

#include "block/tokenizer.h"
#include "block/vocabulary.h"
#include "llvm/MC/MCInst.h"

namespace surrogate::block {

class InstructionEncoder {
 public:
  explicit InstructionEncoder(const Vocabulary& vocabulary) : vocabulary_(&vocabulary) {}

  // Replaces *ids with the instruction's token ids.
  void encode(const llvm::MCInst& inst, std::vector<std::int32_t>* ids);
  std::vector<std::int32_t> encode(const llvm::MCInst& inst) {
    std::vector<std::int32_t> ids;
    encode(inst, &ids);
    return ids;
  }
  std::int32_t id(TokenRef token);

 private:
  static constexpr std::int32_t kUnknown = -1;  // not looked up yet
  const Vocabulary* vocabulary_;
  std::vector<std::int32_t> ids_[TokenRef::kKinds];  // by kind, by value
  std::vector<TokenRef> refs_;
};

}  // namespace surrogate::block
