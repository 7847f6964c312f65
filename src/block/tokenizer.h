// Tokenizer: the canonical form of an instruction as the surrogate sees it
// (Ithemal's and gematria's canonicalisation, over LLVM's decoded MCInst).
//
// One instruction becomes
//   OPCODE [LOCK|REP|REPNE] <S> sources... <D> destinations... <E>
// where OPCODE is LLVM's canonical opcode name (e.g. ADD64rr, VADDPSZrrk),
// registers are LLVM register names (RAX, EAX, XMM3, K1, EFLAGS), implicit
// registers (EFLAGS, RSP of push, ...) follow the explicit ones, and a memory
// operand is
//   <M> B:base I:index S:scale D:disp G:segment
// with absent parts left out (B:RIP for RIP-relative) and the displacement
// bucketed by size (D:8, D:32). Immediates are bucketed: IMM:-1 ... IMM:8
// exactly, else IMM:i8 / IMM:i16 / IMM:i32 / IMM:i64 by the signed width
// they fit. A memory operand that is read is a source, one that is written a
// destination (both for read-modify-write); an address only computed (lea)
// is a source. Operands tied to a destination (the x86 two-address form) are
// sources too. LLVM decodes a lock prefix as an instruction of its own
// (LOCK_PREFIX), as llvm-mca sees it; REP/REPNE are flags of the instruction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "llvm/MC/MCInst.h"

namespace surrogate::block {

using InstructionTokens = std::vector<std::string>;

// A token without its text: what kind of token it is and the LLVM opcode /
// register number, memory scale or literal (kLiteralTokens index) it stands
// for. token_text() gives its text; equal refs, equal texts.
struct TokenRef {
  enum Kind : std::uint8_t { kOpcode, kRegister, kBase, kIndex, kSegment, kScale, kLiteral };
  static constexpr int kKinds = 7;
  Kind kind;
  std::uint32_t value;
};
// The literal tokens: <S> <D> <E> <M> LOCK REP REPNE D:8 D:32 IMM:-1 .. IMM:8
// IMM:i8 IMM:i16 IMM:i32 IMM:i64 IMM:fp.
extern const char* const kLiteralTokens[];
extern const std::size_t kLiteralTokenCount;

// Appends the instruction's tokens to *out.
void tokenize_instruction(const llvm::MCInst& inst, std::vector<TokenRef>* out);
std::string token_text(TokenRef token);

InstructionTokens tokenize_instruction(const llvm::MCInst& inst);
std::vector<InstructionTokens> tokenize_block(const BasicBlock& block);

}  // namespace surrogate::block
