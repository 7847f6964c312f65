// Equivalence of two blocks by proof: both executed symbolically from any
// state (bitvector_semantics.h) and Z3 asked for a state on which what is
// live differs. No such state: proven for every input, not only tested.
//
// Memory is an array of bytes from any contents: two stores through
// different registers may alias, as they may on the machine. Only blocks
// of the subset can be proven (bitvector_semantics.h); other vector code and
// the rest are left to testing (equivalence.h), and the result says which
// instruction was outside. A rewrite must not touch a page the original
// does not, nor make a 16-byte-aligned access (movaps) that could be
// misaligned where the original's are not (it could fault where the
// original runs); it may touch fewer.
#pragma once

#include <optional>
#include <string>

#include "block/basic_block.h"
#include "semantics/equivalence.h"
#include "semantics/machine_state.h"

namespace surrogate::semantics {

struct ProofResult {
  enum class Verdict {
    kProven,         // equal on every state
    kRefuted,        // a state on which they differ: `counterexample`
    kOutsideSubset,  // an instruction the semantics do not cover: `reason`
    kUnknown,        // Z3 gave up (its resource limit): `reason`
  };
  Verdict verdict = Verdict::kUnknown;
  std::string reason;  // one line: what differs, what is outside, or why unknown
  std::optional<MachineState> counterexample;
};

// Proves that `b` leaves what `live` names (GPRs, flags, xmm, memory) as
// `a` does. The ymm/zmm bits above xmm are equal: the subset does not
// write them.
// Both blocks start at the same (any) address: the rewrite takes the
// original's place, so rip-relative operands of each are read from its own
// instruction offsets.
// `resource_limit` bounds Z3's work in its own deterministic units (not
// time, so a verdict does not depend on the machine's speed or load): the
// proofs of 200 held-out rewrites took 8,000 at the median and 723,000 at
// most; 20 million is a few seconds.
ProofResult prove_equivalence(const block::BasicBlock& a, const block::BasicBlock& b, const LiveOut& live,
                              unsigned resource_limit = 20'000'000);

}  // namespace surrogate::semantics
