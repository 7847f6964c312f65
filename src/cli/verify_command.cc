#include "cli/verify_command.h"

#include <iostream>
#include <memory>

#include "block/block_reader.h"
#include "block/decoder.h"
#include "optimize/optimizer.h"
#include "semantics/equivalence.h"
#include "semantics/equivalence_proof.h"
#include "util/hex.h"

namespace surrogate::cli {
namespace {

struct Options {
  std::string input;
  std::uint64_t seed = 2;
  std::size_t states = 1000;
};

int run(const Options& o) {
  block::ReadOptions read;
  read.keep_bad_rows = true;
  const std::vector<block::BasicBlock> rows = block::read_blocks({o.input}, read);
  const auto states = semantics::test_states(4 * o.states, o.seed);
  std::size_t rewrites = 0, differ = 0, proven = 0;
  block::Decoder decoder;
  for (const block::BasicBlock& b : rows) {
    if (b.error || b.extra_columns.size() < optimize::kOutputColumnsAfterHex)  // a name column may follow
      throw std::runtime_error(b.name + ": not a row of 'surrogate optimize' output (hex,optimized_hex,...,moves)");
    const std::string& optimized_hex = b.extra_columns[optimize::kOptimizedHexColumn];
    if (optimized_hex.empty() || optimized_hex == b.hex()) continue;  // unchanged
    ++rewrites;
    std::vector<std::uint8_t> optimized;
    std::size_t at = 0;
    std::string why;
    if (!util::parse_hex(optimized_hex, &optimized, &at, &why))
      throw std::runtime_error(b.name + ": optimized_hex: " + why);
    const semantics::LiveOut live = semantics::LiveOut::parse(b.extra_columns[optimize::kLiveOutColumn]);
    const semantics::EquivalenceResult r = semantics::check_equivalence(b.bytes, optimized, live, states, o.states);
    // Proven too where both blocks are in the subset Z3 knows.
    semantics::ProofResult proof;
    try {
      proof = semantics::prove_equivalence(b, decoder.decode_block(optimized, b.name, {}, nullptr), live);
    } catch (const std::exception& e) {
      proof = {semantics::ProofResult::Verdict::kOutsideSubset, e.what(), std::nullopt};
    }
    const bool refuted = proof.verdict == semantics::ProofResult::Verdict::kRefuted;
    if (r.equivalent && r.tested >= o.states && !refuted) {
      proven += proof.verdict == semantics::ProofResult::Verdict::kProven;
      continue;
    }
    ++differ;
    std::cout << b.name << ": "
              << (!r.equivalent         ? r.difference
                  : r.tested < o.states ? "only " + std::to_string(r.tested) + " states run by both"
                                        : "z3: " + proof.reason)
              << "\n";
  }
  std::cerr << "surrogate verify: " << rewrites - differ << " of " << rewrites << " rewrites equal on " << o.states
            << " fresh states (seed " << o.seed << "), " << proven << " of them proven with Z3\n";
  return differ ? 1 : 0;
}

}  // namespace

Command add_verify_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "verify",
      "Test every rewrite of a 'surrogate optimize' output again on fresh emulator states (another seed), under the "
      "live-out its row names, and prove it with Z3 where both blocks are in the subset it knows (integer, SSE "
      "moves, memory); prints the rows that differ, exits 1 if any");
  sub->add_option("input", o->input, "CSV written by 'surrogate optimize'")->required();
  sub->add_option("--seed", o->seed, "seed of the fresh states (optimize's own are derived from its --seed)");
  sub->add_option("--states", o->states, "states both blocks must run")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
