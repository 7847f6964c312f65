// Coordinate descent over llvm-mca's CPU parameters, straight on the real
// simulator: the gradient-free way to fit a ParameterLayout to measured
// throughputs (the baseline of DiffTune re-implementations), and what
// `surrogate tune --method=coordinate` runs.
//
// Objective, to minimise: the sum over training blocks of the relative error
// |simulated - measured| / measured, plus a penalty toward LLVM's values:
// weight[i] * |value[i] - start[i]| for each field (units: relative error
// summed over blocks, so a weight of 1 means "a one-cycle change must fix
// 100 percentage points of error over the blocks it touches").
//
// One sweep visits every field in order. For a field it tries value +- s for
// s = 1, 2, 4, ... in each direction, going on while the objective does not
// get worse (so a 100-cycle latency can come down to 2 in one visit, and a
// 192-entry buffer can move where +-1 changes nothing), and keeps the best
// candidate if it lowers the objective. Only the blocks that contain a
// field's opcode are simulated again (`affected`); global fields re-simulate
// every block. After each sweep the validation blocks are simulated and the
// values with the lowest validation error so far are kept (early stopping).
// The search ends after a sweep without a change, at max_sweeps, or at a
// budget (simulations, seconds) or cancel(); the state is saved to
// `state_path` so that a run killed (even with kill -9) resumes where it was
// saved and ends with the same values as an uninterrupted run (unless a time
// budget ends it).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "mca/cpu_params.h"
#include "mca/parameter_vector.h"

namespace surrogate::apps {

struct BlockSet {
  std::vector<block::BasicBlock> blocks;
  std::vector<double> measured;  // cycles per 100 iterations, > 0
};

struct SearchProblem {
  const mca::CpuParams* stock = nullptr;         // LLVM's table: the start and the penalty's anchor
  const mca::ParameterLayout* layout = nullptr;  // the fields that may move (of stock's model)
  const BlockSet* train = nullptr;
  const BlockSet* validation = nullptr;  // may be empty: then the last values are kept
  // Per field: indices of the training blocks its value can change (blocks
  // with the field's opcode); empty for a global field (every block).
  std::vector<std::vector<std::uint32_t>> affected;
  std::vector<double> weight;  // per field, penalty per unit of change (see above)
};

struct SearchOptions {
  unsigned max_sweeps = 8;
  std::uint64_t budget_simulations = 0;  // block simulations, 0 = none
  double max_seconds = 0;                // wall clock across resumed runs, 0 = none
  unsigned jobs = 1;
  std::string state_path;   // "" = not resumable
  std::string fingerprint;  // names the problem and options; a state of another is discarded
};

struct SearchResult {
  std::vector<double> values;                         // the kept values (lowest validation error), integers in range
  std::vector<double> train_stock, train_final;       // per training block, simulated under LLVM's / the kept values
  double validation_stock = 0, validation_final = 0;  // validation MAPE (0.05 = 5%)
  std::uint64_t simulations = 0;                      // block simulations the search ran (including validation)
  unsigned sweeps = 0;                                // sweeps completed
  std::size_t moves = 0;                              // accepted moves, all sweeps
  double seconds = 0;                                 // wall clock, across resumed runs
  std::string stop_reason;   // "converged", "max sweeps", "simulation budget", "time budget", "interrupted"
  bool interrupted = false;  // cancel(): the state is saved, values are those of the last sweep
  std::string summary;       // one line a method adds to the report ("" = none)
};

// A search method over a SearchProblem (coordinate_search, gradient_search).
using SearchMethod = std::function<SearchResult(const SearchProblem&, const SearchOptions&, std::ostream&,
                                                const std::function<bool()>&)>;

// Throws std::runtime_error when a training block cannot be simulated under
// LLVM's own values (the caller leaves such blocks out first).
SearchResult coordinate_search(const SearchProblem& problem, const SearchOptions& options, std::ostream& log,
                               const std::function<bool()>& cancel);

// The sum of the relative errors |predicted[b] - measured[b]| / measured[b]
// over the blocks `rows` of `set` (every block when rows is null), in order.
double summed_relative_error(const std::vector<double>& predicted, const BlockSet& set,
                             const std::vector<std::uint32_t>* rows = nullptr);

// The same divided by the number of blocks summed (0.05 = 5%), 0 for none.
double mean_relative_error(const std::vector<double>& predicted, const BlockSet& set,
                           const std::vector<std::uint32_t>* rows = nullptr);

// Simulated throughputs of `blocks` under `params` (cycles per 100
// iterations), NaN where the simulator refuses a block.
std::vector<double> simulate_all(const mca::CpuParams& params, std::span<const block::BasicBlock> blocks,
                                 unsigned jobs);

}  // namespace surrogate::apps
