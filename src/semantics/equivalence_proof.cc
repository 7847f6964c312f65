#include "semantics/equivalence_proof.h"

#include <z3++.h>

#include "semantics/bitvector_semantics.h"

namespace surrogate::semantics {

ProofResult prove_equivalence(std::span<const llvm::MCInst> a, std::span<const llvm::MCInst> b, const LiveOut& live,
                              unsigned timeout_ms) {
  using Verdict = ProofResult::Verdict;
  z3::context z3;
  const BitvectorSemantics semantics(z3);
  const SymbolicState start = semantics.any_state();
  SymbolicState end_a = start, end_b = start;
  for (auto [block, end, which] : {std::tuple{a, &end_a, "first"}, std::tuple{b, &end_b, "second"}}) {
    for (std::size_t i = 0; i < block.size(); ++i) {
      const std::string why = semantics.apply(block[i], *end);
      if (!why.empty())
        return {Verdict::kOutsideSubset,
                std::string(which) + " block, instruction " + std::to_string(i + 1) + ": " + why, std::nullopt};
    }
  }
  // What differs, one disjunct per live register and flag.
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
  if (differences.empty()) return {Verdict::kProven, "", std::nullopt};
  z3::solver solver(z3);
  z3::params params(z3);
  params.set("timeout", timeout_ms);
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
    if (model.eval(differences[k], true).is_true()) differ += (differ.empty() ? "" : ", ") + names[k];
  return {Verdict::kRefuted, "differ in " + differ, state};
}

}  // namespace surrogate::semantics
