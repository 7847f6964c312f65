#include "optimize/optimizer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "block/decoder.h"
#include "block/machine_code_encoder.h"
#include "mca/simulator.h"
#include "optimize/rewrite_moves.h"
#include "runtime/surrogate_runtime.h"
#include "semantics/equivalence_proof.h"

namespace surrogate::optimize {
namespace {

struct Candidate {
  std::vector<llvm::MCInst> instructions;
  std::vector<std::uint8_t> bytes;
  double predicted = 0;
  std::string moves;
};

}  // namespace

Optimizer::Optimizer(runtime::Surrogate& surrogate, const mca::Simulator& simulator, OptimizeOptions options)
    : surrogate_(surrogate), simulator_(simulator), options_(std::move(options)) {}

OptimizeResult Optimizer::optimize(const block::BasicBlock& block) {
  OptimizeResult r;
  r.optimized = block.bytes;
  r.cycles = r.optimized_cycles = simulator_.throughput(block);
  r.predicted_cycles = surrogate_.predict_bytes(block.bytes);
  if (block.instructions.empty()) return r;

  thread_local block::MachineCodeEncoder encoder;
  thread_local block::Decoder decoder;
  std::mt19937_64 rng(options_.seed);
  const auto quick = semantics::test_states(options_.quick_states, options_.seed);
  // Whether the original itself runs on the emulator: otherwise no rewrite
  // can be verified, and the search would only waste the budget.
  const semantics::ReferenceOutcomes original(block.bytes, quick);  // the original runs once per quick state
  if (!original.check(block.bytes, options_.live).equivalent) return r;

  const double penalty = 10 * (r.predicted_cycles + 100);
  const double temperature = 0.05 * (r.predicted_cycles + 1);
  Candidate current{block.instructions, block.bytes, r.predicted_cycles, ""};
  double current_cost = current.predicted;
  std::map<std::vector<std::uint8_t>, Candidate> passing;  // distinct candidates that pass the quick states
  for (std::size_t step = 0; step < options_.budget; ++step) {
    std::optional<Rewrite> move = random_move(current.instructions, rng, options_.guide, options_.live.flags);
    if (!move) continue;
    Candidate next{std::move(move->instructions), {}, 0, path_with(current.moves, move->move)};
    std::string why;
    bool encoded = true;
    for (const llvm::MCInst& inst : next.instructions) encoded = encoded && encoder.encode(inst, &next.bytes, &why);
    if (!encoded || next.bytes.empty()) continue;
    next.predicted = surrogate_.predict_bytes(next.bytes);
    ++r.evaluations;
    const bool ok = original.check(next.bytes, options_.live).equivalent;
    const double cost = next.predicted + (ok ? 0 : penalty);
    if (ok && next.predicted < r.predicted_cycles && !passing.count(next.bytes)) passing.emplace(next.bytes, next);
    if (cost <= current_cost ||
        std::uniform_real_distribution<double>(0, 1)(rng) < std::exp(-(cost - current_cost) / temperature)) {
      current = std::move(next);
      current_cost = cost;
    }
  }

  std::vector<const Candidate*> finalists;
  for (const auto& [bytes, c] : passing) finalists.push_back(&c);
  std::sort(finalists.begin(), finalists.end(), [](const Candidate* a, const Candidate* b) {
    return a->predicted != b->predicted ? a->predicted < b->predicted : a->bytes < b->bytes;
  });
  if (finalists.size() > options_.finalists) finalists.resize(options_.finalists);
  // Fresh states, up to 4x as many as must run: states on which both blocks
  // fault (a wild pointer) do not count, and fewer than verify_states run
  // by both is no verdict.
  const auto fresh = semantics::test_states(4 * options_.verify_states, options_.seed ^ 0x5EED5EED5EED5EEDull);
  for (const Candidate* c : finalists) {
    const semantics::EquivalenceResult check =
        semantics::check_equivalence(block.bytes, c->bytes, options_.live, fresh, options_.verify_states);
    if (!check.equivalent || check.tested < options_.verify_states) continue;
    double simulated = 0;
    block::BasicBlock rewrite;
    try {
      rewrite = decoder.decode_block(c->bytes, block.name, {}, nullptr);
      simulated = simulator_.throughput(rewrite);
    } catch (const std::exception&) {
      continue;  // not simulatable (or not decodable): not an answer
    }
    if (simulated >= r.cycles) continue;
    // Proven where both blocks are in the subset Z3 knows; a refutation is a
    // difference the tests missed (aliasing, a rare value, an undefined flag).
    const semantics::ProofResult proof = semantics::prove_equivalence(block, rewrite, options_.live);
    if (proof.verdict == semantics::ProofResult::Verdict::kRefuted) {
      ++r.refuted;
      continue;
    }
    r.optimized = c->bytes;
    r.optimized_cycles = simulated;
    r.predicted_cycles = c->predicted;
    r.verified =
        proof.verdict == semantics::ProofResult::Verdict::kProven ? "z3" : "tested:" + std::to_string(check.tested);
    r.moves = c->moves;
    break;
  }
  return r;
}

}  // namespace surrogate::optimize
