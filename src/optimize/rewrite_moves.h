// Rewrite moves of the assembly search (issue 17, STOKE's move set in a
// small first form): a block as LLVM MCInsts, changed one step at a time.
//
//   delete    drop one instruction
//   swap      exchange two adjacent instructions (a store and another
//             memory access only where their addresses are provably apart:
//             tests on random states would not see them alias)
//   operand   replace one register operand by another register of the block
//             with the same width (GR64 / GR32)
//   catalogue a known cheaper form: mov r32, 0 -> xor r32, r32;
//             imul r64, s, 2^k (k <= 3) -> lea r64, [s * 2^k];
//             add r, 1 -> inc r; sub r, 1 -> dec r
// endbr64/endbr32 (CET landing pads) are never deleted or moved. A move
// says nothing about correctness: every candidate is tested
// (semantics/equivalence.h); most catalogue forms change the flags, so they
// survive only where the flags are not live.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "llvm/MC/MCInst.h"

namespace surrogate::optimize {

struct Rewrite {
  std::vector<llvm::MCInst> instructions;
  std::string move;  // e.g. "delete 2", "swap 0-1", "operand 1.2 rcx", "catalogue 0 mov->xor"
};

// One random move of `block`, or nothing when the drawn move does not apply.
std::optional<Rewrite> random_move(const std::vector<llvm::MCInst>& block, std::mt19937_64& rng);

}  // namespace surrogate::optimize
