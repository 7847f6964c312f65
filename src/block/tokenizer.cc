#include "block/tokenizer.h"

#include <cstdint>

#include "block/x86_operands.h"
#include "block/x86_target.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/MC/MCInstrDesc.h"

namespace surrogate::block {
namespace {

// LLVM's X86 instruction prefix flags on MCInst (X86BaseInfo.h, not installed).
constexpr unsigned kHasRepeatNe = kRepeatNePrefixFlag;
constexpr unsigned kHasRepeat = kRepeatPrefixFlag;
constexpr unsigned kHasLock = kLockPrefixFlag;

// kLiteralTokens indices.
enum Literal : std::uint32_t {
  kSources,
  kDestinations,
  kEnd,
  kMemory,
  kLock,
  kRep,
  kRepNe,
  kDisp8,
  kDisp32,
  kImmMinus1,  // IMM:-1 .. IMM:8 follow in order
  kImmI8 = kImmMinus1 + 10,
  kImmI16,
  kImmI32,
  kImmI64,
  kImmFp,
  kLiteralEnd
};

TokenRef literal(Literal l) { return {TokenRef::kLiteral, l}; }

TokenRef immediate_token(int64_t v) {
  if (v >= -1 && v <= 8) return literal(static_cast<Literal>(kImmMinus1 + (v + 1)));
  if (v >= INT8_MIN && v <= INT8_MAX) return literal(kImmI8);
  if (v >= INT16_MIN && v <= INT16_MAX) return literal(kImmI16);
  if (v >= INT32_MIN && v <= INT32_MAX) return literal(kImmI32);
  return literal(kImmI64);
}

using Tokens = llvm::SmallVector<TokenRef, 16>;

void add_register(unsigned reg, Tokens& out) {
  if (reg != 0) out.push_back({TokenRef::kRegister, reg});
}

void add_memory(const llvm::MCInst& inst, unsigned i, Tokens& out) {
  out.push_back(literal(kMemory));
  unsigned base = inst.getOperand(i).getReg();
  int64_t scale = inst.getOperand(i + 1).getImm();
  unsigned index = inst.getOperand(i + 2).getReg();
  const llvm::MCOperand& disp = inst.getOperand(i + 3);
  unsigned segment = inst.getOperand(i + 4).getReg();
  if (base != 0) out.push_back({TokenRef::kBase, base});
  if (index != 0) {
    out.push_back({TokenRef::kIndex, index});
    out.push_back({TokenRef::kScale, static_cast<std::uint32_t>(scale)});
  }
  if (!disp.isImm()) {
    out.push_back(literal(kDisp32));  // symbolic (not produced by the disassembler)
  } else if (int64_t d = disp.getImm(); d != 0) {
    out.push_back(literal(d >= INT8_MIN && d <= INT8_MAX ? kDisp8 : kDisp32));
  }
  if (segment != 0) out.push_back({TokenRef::kSegment, segment});
}

}  // namespace

const char* const kLiteralTokens[] = {"<S>",   "<D>",    "<E>",   "<M>",    "LOCK",    "REP",     "REPNE",   "D:8",
                                      "D:32",  "IMM:-1", "IMM:0", "IMM:1",  "IMM:2",   "IMM:3",   "IMM:4",   "IMM:5",
                                      "IMM:6", "IMM:7",  "IMM:8", "IMM:i8", "IMM:i16", "IMM:i32", "IMM:i64", "IMM:fp"};
const std::size_t kLiteralTokenCount = sizeof kLiteralTokens / sizeof kLiteralTokens[0];
static_assert(sizeof kLiteralTokens / sizeof kLiteralTokens[0] == kLiteralEnd);

void tokenize_instruction(const llvm::MCInst& inst, std::vector<TokenRef>* out) {
  out->push_back({TokenRef::kOpcode, inst.getOpcode()});
  if (inst.getFlags() & kHasLock) out->push_back(literal(kLock));
  if (inst.getFlags() & kHasRepeat) out->push_back(literal(kRep));
  if (inst.getFlags() & kHasRepeatNe) out->push_back(literal(kRepNe));

  Tokens sources, destinations;
  visit_operands(
      inst, [&](unsigned reg, bool written) { add_register(reg, written ? destinations : sources); },
      [&](unsigned first, bool read, bool written) {
        if (read) add_memory(inst, first, sources);
        if (written) add_memory(inst, first, destinations);
      },
      [&](const llvm::MCOperand& op) {
        sources.push_back(op.isImm() ? immediate_token(op.getImm()) : literal(kImmFp));
      });

  out->push_back(literal(kSources));
  out->insert(out->end(), sources.begin(), sources.end());
  out->push_back(literal(kDestinations));
  out->insert(out->end(), destinations.begin(), destinations.end());
  out->push_back(literal(kEnd));
}

std::string token_text(TokenRef token) {
  const X86Target& t = X86Target::get();
  switch (token.kind) {
    case TokenRef::kOpcode:
      return t.instr_info().getName(token.value).str();
    case TokenRef::kRegister:
      return t.reg_info().getName(token.value);
    case TokenRef::kBase:
      return "B:" + std::string(t.reg_info().getName(token.value));
    case TokenRef::kIndex:
      return "I:" + std::string(t.reg_info().getName(token.value));
    case TokenRef::kSegment:
      return "G:" + std::string(t.reg_info().getName(token.value));
    case TokenRef::kScale:
      return "S:" + std::to_string(static_cast<std::int64_t>(static_cast<std::int32_t>(token.value)));
    case TokenRef::kLiteral:
      return kLiteralTokens[token.value];
  }
  return {};
}

InstructionTokens tokenize_instruction(const llvm::MCInst& inst) {
  std::vector<TokenRef> refs;
  tokenize_instruction(inst, &refs);
  InstructionTokens out;
  out.reserve(refs.size());
  for (TokenRef r : refs) out.push_back(token_text(r));
  return out;
}

std::vector<InstructionTokens> tokenize_block(const BasicBlock& block) {
  std::vector<InstructionTokens> out;
  out.reserve(block.instructions.size());
  for (const llvm::MCInst& inst : block.instructions) out.push_back(tokenize_instruction(inst));
  return out;
}

}  // namespace surrogate::block
