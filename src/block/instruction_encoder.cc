#include "block/instruction_encoder.h"

namespace surrogate::block {

std::int32_t InstructionEncoder::id(TokenRef token) {
  // Values are opcodes, registers (a few thousand), scales and literal
  // indices: small, except an odd scale, which is looked up every time.
  constexpr std::uint32_t kLargest = 1u << 16;
  if (token.value >= kLargest) return vocabulary_->id(token_text(token));
  std::vector<std::int32_t>& table = ids_[token.kind];
  if (token.value >= table.size()) table.resize(token.value + 1, kUnknown);
  std::int32_t& id = table[token.value];
  if (id == kUnknown) id = vocabulary_->id(token_text(token));
  return id;
}

void InstructionEncoder::encode(const llvm::MCInst& inst, std::vector<std::int32_t>* ids) {
  refs_.clear();
  tokenize_instruction(inst, &refs_);
  ids->resize(refs_.size());
  for (std::size_t i = 0; i < refs_.size(); ++i) (*ids)[i] = id(refs_[i]);
}

}  // namespace surrogate::block
