// Equivalence of two blocks by proof: both executed symbolically from any
// state (bitvector_semantics.h) and Z3 asked for a state on which what is
// live differs. No such state: proven for every input, not only tested.
//
// Only blocks of the register-only subset can be proven; memory, vector
// registers and the rest are left to testing (equivalence.h), and the
// result says which instruction was outside.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "llvm/MC/MCInst.h"
#include "semantics/equivalence.h"
#include "semantics/machine_state.h"

namespace surrogate::semantics {

struct ProofResult {
  enum class Verdict {
    kProven,         // equal on every state
    kRefuted,        // a state on which they differ: `counterexample`
    kOutsideSubset,  // an instruction the semantics do not cover: `reason`
    kUnknown,        // Z3 gave up (time): `reason`
  };
  Verdict verdict = Verdict::kUnknown;
  std::string reason;  // one line: what differs, what is outside, or why unknown
  std::optional<MachineState> counterexample;
};

// Proves that `b` leaves what `live` names (GPRs, flags) as `a` does.
// Vector registers and memory are equal because the subset touches neither.
ProofResult prove_equivalence(std::span<const llvm::MCInst> a, std::span<const llvm::MCInst> b, const LiveOut& live,
                              unsigned timeout_ms = 10000);

}  // namespace surrogate::semantics
