#include "semantics/equivalence_proof.h"

#include <z3++.h>

#include "semantics/bitvector_semantics.h"

namespace surrogate::semantics {

ProofResult prove_equivalence(const block::BasicBlock& a, const block::BasicBlock& b, const LiveOut& live,
                              unsigned resource_limit) {
  using Verdict = ProofResult::Verdict;
  z3::context z3;
  const BitvectorSemantics semantics(z3);
  const SymbolicState start = semantics.any_state();
  SymbolicState end_a = start, end_b = start;
  for (auto [block, end, which] : {std::tuple{&a, &end_a, "first"}, std::tuple{&b, &end_b, "second"}}) {
    const std::vector<llvm::MCInst>& instructions = block->instructions;
    for (std::size_t i = 0; i < instructions.size(); ++i) {
      const std::uint64_t next = i + 1 < block->offsets.size() ? block->offsets[i + 1] : block->bytes.size();
      const std::string why = semantics.apply(instructions[i], *end, next);
      if (!why.empty())
        return {Verdict::kOutsideSubset,
                std::string(which) + " block, instruction " + std::to_string(i + 1) + ": " + why, std::nullopt};
    }
  }
  // What may differ: one disjunct per live register and flag, memory when
  // live, each access of the rewrite to a page the original leaves alone,
  // each aligned access of the rewrite the original's do not vouch for.
  z3::expr_vector differences(z3);
  std::vector<std::string> names;
  for (int i = 0; i < 16; ++i)
    if (live.gprs >> i & 1) {
      differences.push_back(end_a.gpr[i] != end_b.gpr[i]);
      names.push_back(gpr_name(i));
    }
  if (live.flags)
    for (unsigned f = 0; f < kFlagCount; ++f) {
      differences.push_back(end_a.flags[f] != end_b.flags[f]);
      names.push_back(kFlagName[f]);
    }
  for (int i = 0; i < 16; ++i)
    if (live.xmms >> i & 1) {
      differences.push_back(end_a.xmm[i] != end_b.xmm[i]);
      names.push_back("xmm" + std::to_string(i));
    }
  if (live.memory) {
    differences.push_back(end_a.memory != end_b.memory);
    names.push_back("memory");
  }
  // The rewrite may not fault where the original does not: every page it
  // touches, the original touches too (it may touch fewer: a dead load can go).
  const auto page = [](const z3::expr& address) { return z3::lshr(address, 12); };
  for (const MemoryAccess& x : end_b.accesses) {
    z3::expr_vector covered(z3);
    for (const z3::expr& byte : {x.first, x.last}) {
      z3::expr_vector pages(z3);
      for (const MemoryAccess& y : end_a.accesses) {
        pages.push_back(page(byte) == page(y.first));
        pages.push_back(page(byte) == page(y.last));
      }
      covered.push_back(pages.empty() ? z3.bool_val(false) : z3::mk_or(pages));
    }
    differences.push_back(!z3::mk_and(covered));
    names.push_back("a page only the second block touches");
  }
  // Nor fault on alignment: where every aligned access of the original is
  // aligned, so is every one of the rewrite.
  z3::expr_vector original_aligned(z3);
  original_aligned.push_back(z3.bool_val(true));
  for (const MemoryAccess& y : end_a.accesses)
    if (y.aligned) original_aligned.push_back(y.first.extract(3, 0) == 0);
  for (const MemoryAccess& x : end_b.accesses)
    if (x.aligned) {
      differences.push_back(z3::mk_and(original_aligned) && x.first.extract(3, 0) != 0);
      names.push_back("an aligned access only the second block may miss");
    }
  if (differences.empty()) return {Verdict::kProven, "", std::nullopt};
  z3::solver solver(z3);
  z3::params params(z3);
  params.set("rlimit", resource_limit);
  solver.set(params);
  solver.add(z3::mk_or(differences));
  switch (solver.check()) {
    case z3::unsat:
      return {Verdict::kProven, "", std::nullopt};
    case z3::unknown:
      return {Verdict::kUnknown, "z3: " + solver.reason_unknown(), std::nullopt};
    case z3::sat:
      break;
  }
  const z3::model model = solver.get_model();
  MachineState state;
  for (int i = 0; i < 16; ++i) state.gpr[i] = model.eval(start.gpr[i], true).get_numeral_uint64();
  for (unsigned f = 0; f < kFlagCount; ++f)
    if (model.eval(start.flags[f], true).is_true()) state.flags |= 1ull << kFlagBit[f];
  std::string differ;
  for (unsigned k = 0; k < differences.size(); ++k)
    if (model.eval(differences[k], true).is_true() && differ.find(names[k]) == std::string::npos)
      differ += (differ.empty() ? "" : ", ") + names[k];
  return {Verdict::kRefuted, "differ in " + differ, state};
}

}  // namespace surrogate::semantics
