// Rewrite moves of the assembly search (issue 17, STOKE's move set in a
// small first form): a block as LLVM MCInsts, changed one step at a time.
//
//   delete    drop one instruction
//   swap      exchange two adjacent instructions (a store and another
//             memory access only where their addresses are provably apart:
//             tests on random states would not see them alias)
//   operand   replace one register operand by another register of the block
//             with the same width (GR64 / GR32); drawn uniformly, or by an
//             OperandGuide's estimates (operand_guide.h)
//   catalogue a known cheaper form: mov r32, 0 -> xor r32, r32;
//             imul r64, s, 2^k (k <= 3) -> lea r64, [s * 2^k];
//             add r, 1 -> inc r; sub r, 1 -> dec r; a run of pushes (pops)
//             -> one lea of rsp and plain stores (loads), the rsp
//             adjustment beside them folded in where its flags are dead
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

class OperandGuide;

// How strongly a guide's estimates steer an operand move: a variant is drawn
// with probability proportional to exp(-estimate / this) (estimates are
// changes of log throughput: 0.05 favours a variant estimated 5% faster
// e-fold over another).
inline constexpr double kGuideTemperature = 0.05;

// One random move of `block`, or nothing when the drawn move does not apply.
// With a guide, an operand move draws its (operand, register) among all of
// the instruction's by the guide's estimates instead of uniformly.
// `flags_live_out`: whether the status flags are live after the block (a
// stack move folds an rsp adjustment only where its flags are dead).
std::optional<Rewrite> random_move(const std::vector<llvm::MCInst>& block, std::mt19937_64& rng,
                                   OperandGuide* guide = nullptr, bool flags_live_out = true);

// The description of a search path after one more accepted move: `path`
// and `move` joined by ';', except that a swap right after the same swap
// (which undoes it) removes both, so the path says what changed rather than
// the walk ("swap 0-1;swap 0-1;delete 1" is "delete 1").
std::string path_with(const std::string& path, const std::string& move);

}  // namespace surrogate::optimize
