// Gradient descent on llvm-mca's CPU parameters through a parameter-
// conditioned surrogate (DiffTune, Renda, Ding and Carbin section 5), over
// the same SearchProblem as coordinate_search and judged the same way: by
// the real simulator on the validation blocks. It works in rounds, each a
// trust region around a centre (round 1: LLVM's values):
//  1. Sample `tables` parameter tables around the centre (mca/
//     parameter_sampler.h: a few fields at a time) and simulate, under each,
//     at most `blocks_per_table` training blocks its changes affect; with the
//     training blocks under the centre itself these are the round's data.
//     Every simulation is counted in SearchResult::simulations.
//  2. Train a HierarchicalLstm that reads each instruction's parameter row
//     and the globals (dataset/parameter_rows.h) and the dependency features
//     on them: from scratch in round 1 (`surrogate_epochs`), continued in
//     later rounds (`refine_epochs`); 10% of the tables (never trained on)
//     measure its error against the simulator.
//  3. With the surrogate frozen, Adam moves the values (continuous, from the
//     centre) to lower the surrogate's mean relative error against the
//     *measured* throughputs of the training blocks plus the search's
//     penalty toward LLVM's values; after each step every value is clamped
//     to the box the round's sampler reached (where the surrogate saw data).
//  4. After each pass over the training blocks the values are rounded
//     (ParameterLayout::project) and, when they changed, the validation
//     blocks are simulated under them; the candidate with the lowest
//     validation error so far, LLVM's values included, is the result and the
//     next round's centre. A round without a better candidate halves the
//     region on a log scale (sampler factor -> its square root, steps and
//     Adam's rate halved) around the same centre; the rounds end at
//     `rounds`, after the third such round, or at a budget.
// Why rounds: one surrogate is accurate near the tables it saw; descent moves
// many fields at once and leaves that region (measured: one round on Zen 5
// data reached 57.5% validation MAPE from LLVM's 90.8%, while the surrogate
// was 5.8% off the simulator on unseen tables).
// Deterministic for a seed and a thread count. Resumable: the state after
// each round (centre, best values, the surrogate's weights) is saved to
// `SearchOptions::state_path` + ".gradient"/".model", and the surrogate's
// training checkpoints to + ".surrogate"; a killed run resumes at the round
// it was in (re-simulating that round's tables, the same ones).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "apps/coordinate_search.h"
#include "mca/parameter_sampler.h"

namespace surrogate::apps {

struct GradientOptions {
  unsigned rounds = 6;                // trust regions, at most
  std::size_t tables = 2000;          // sampled parameter tables per round
  std::size_t blocks_per_table = 48;  // training blocks simulated under each
  mca::SamplerOptions sampler;        // how the tables are drawn
  std::int64_t width = 48;            // the surrogate's W (depth 1)
  int surrogate_epochs = 8;           // round 1, at most; early stopping on the unseen tables
  int refine_epochs = 3;              // later rounds
  double surrogate_share = 0.6;       // of a round's share of the time left, for training the surrogate
  double learning_rate = 0.02;        // Adam on the values, in quarters of each field's box per step
  int descent_epochs = 6;             // passes over the training blocks per round
  std::int64_t batch_size = 256;
  std::uint64_t seed = 1;
  // A parameter surrogate of the problem's scheduling model to start from
  // (apps/parameter_surrogate.h; round 1 then continues it for
  // refine_epochs), or "" to train one from nothing in round 1.
  std::string surrogate;
};

SearchResult gradient_search(const SearchProblem& problem, const SearchOptions& options,
                             const GradientOptions& gradient, std::ostream& log, const std::function<bool()>& cancel);

}  // namespace surrogate::apps
