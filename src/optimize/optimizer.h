// Optimizer: a faster block that computes the same live state (issue 17).
//
// Simulated annealing over rewrite moves (rewrite_moves.h), `budget`
// surrogate evaluations per block: a candidate's cost is the surrogate's
// predicted cycles per 100 iterations, plus a penalty when it differs from
// the original on a few quick test states (STOKE's correctness term). The
// best candidates by prediction are then checked in order: tested on 1,000
// fresh states that both run to the end (semantics/equivalence.h; up to
// 4,000 tried, fewer is no verdict), simulated by llvm-mca's model of the
// CPU, and, where both blocks are in the subset Z3 knows (integer, SSE
// moves, memory), proven equivalent (semantics/equivalence_proof.h: a
// refutation rejects the rewrite); the first that is equivalent and
// simulates faster is the answer. So every accepted rewrite is verified and confirmed by the real
// simulator; the surrogate only steers the search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "semantics/equivalence.h"

namespace surrogate::mca {
class Simulator;
}
namespace surrogate::runtime {
class Surrogate;
}

namespace surrogate::optimize {

class OperandGuide;

// The columns of `surrogate optimize` output, in order (`surrogate verify`
// reads them back; a `name` column may follow).
inline constexpr const char* kOutputHeader =
    "hex,optimized_hex,cycles,optimized_cycles,predicted_cycles,live_out,verified,moves";
// With --measure, after `moves`: both versions measured on the host, cycles
// per 100 iterations (empty for an unchanged row or an unmeasurable block).
inline constexpr const char* kMeasuredColumnsHeader = ",measured_cycles,measured_optimized_cycles";
// Their indices after `hex` (a block's extra_columns when the file is read back).
inline constexpr std::size_t kOptimizedHexColumn = 0, kLiveOutColumn = 4, kOutputColumnsAfterHex = 7;

struct OptimizeOptions {
  semantics::LiveOut live;           // what must agree after the block
  std::size_t budget = 2000;         // surrogate evaluations per block
  std::uint64_t seed = 1;            // same seed, same result
  std::size_t quick_states = 16;     // test states inside the search
  std::size_t verify_states = 1000;  // fresh states for the final check
  std::size_t finalists = 8;         // best candidates by prediction checked at the end
  // Steers operand moves (operand_guide.h); null: uniform. Not owned; one
  // per thread (a guide keeps the gradient of the block it last saw).
  OperandGuide* guide = nullptr;
};

struct OptimizeResult {
  std::vector<std::uint8_t> optimized;  // equal to the block's bytes when nothing better was found
  double cycles = 0;                    // simulated cycles / 100 iterations, original
  double optimized_cycles = 0;          // simulated, rewrite (= cycles when unchanged)
  double predicted_cycles = 0;          // the surrogate's, rewrite
  std::string verified;                 // "z3" (proven; tested too), "tested:N", or "" when unchanged
  std::string moves;                    // moves from the original, ";"-separated
  std::size_t evaluations = 0;          // surrogate evaluations spent
  std::size_t refuted = 0;              // finalists that passed the tests and Z3 refuted
};

class Optimizer {
 public:
  Optimizer(runtime::Surrogate& surrogate, const mca::Simulator& simulator, OptimizeOptions options);
  // Throws mca::SimulationError when the original block cannot be simulated.
  OptimizeResult optimize(const block::BasicBlock& block);

 private:
  runtime::Surrogate& surrogate_;
  const mca::Simulator& simulator_;
  OptimizeOptions options_;
};

}  // namespace surrogate::optimize
