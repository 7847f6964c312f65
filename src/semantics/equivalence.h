// Equivalence of two basic blocks by testing (STOKE's validator by test
// cases): both run on the Emulator from the same states, random and edge
// cases, and what is live after the block must agree.
//
// A state on which both blocks fault is skipped (not counted as tested);
// one faulting and the other not is a difference; no state tested at all
// is no verdict (not equivalent, and the fault is named). The result
// names the first differing state and what differed: a counterexample a
// search can keep as a test case.
#pragma once

#include <cstdint>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "semantics/emulator.h"
#include "semantics/machine_state.h"

namespace surrogate::semantics {

// What must agree at the end of the block. Default: everything a block can
// write (all GPRs, the status flags, xmm0-15, memory).
struct LiveOut {
  std::uint16_t gprs = 0xFFFF;  // bit i: register i (encoding order)
  bool flags = true;
  std::uint16_t xmms = 0xFFFF;
  bool memory = true;

  // "all", or a comma list of register names (rax..r15, xmm0..xmm15),
  // "flags", "memory"; 32-bit names (eax) mean the full register. Throws
  // std::invalid_argument naming the bad item.
  static LiveOut parse(const std::string& spec);
  std::string describe() const;  // the canonical spec: "all" or the list
};

struct EquivalenceResult {
  bool equivalent = false;
  std::size_t tested = 0;  // states on which both blocks ran to the end
  std::string difference;  // when not equivalent: what differed, one line
  std::optional<MachineState> counterexample;
};

// The states tried: edge cases first (zeros, ones, all-ones, sign bits,
// pointers into memory of pointers), then random ones from `seed` (3 in 4
// with memory of pointers, half the registers pointers); deterministic.
std::vector<MachineState> test_states(std::size_t count, std::uint64_t seed);

// Tests `a` against `b` on `states`: stops at the first difference, or once
// `enough` states were run by both.
EquivalenceResult check_equivalence(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                                    const LiveOut& live, const std::vector<MachineState>& states,
                                    std::size_t enough = SIZE_MAX);

// The same test of many candidates against one block on the same states,
// the block run once per state (the optimizer's search asks thousands of
// times with a few states).
class ReferenceOutcomes {
 public:
  ReferenceOutcomes(std::span<const std::uint8_t> a, const std::vector<MachineState>& states);
  // check_equivalence(a, b, live, states): the same result.
  EquivalenceResult check(std::span<const std::uint8_t> b, const LiveOut& live) const;

 private:
  std::vector<MachineState> states_;
  std::vector<Outcome> outcomes_;
};

}  // namespace surrogate::semantics
