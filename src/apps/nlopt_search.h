// A derivative-free baseline for tuning llvm-mca's CPU parameters: NLopt's
// Subplex (Rowan's subspace-searching simplex, NLOPT_LN_SBPLX; Debian
// libnlopt) over the same SearchProblem, straight on the real simulator, as
// `surrogate tune --method=nlopt`. The issue's "CMA-ES or a Debian library's
// derivative-free optimiser", against which the gradient method is compared
// at an equal number of simulations.
//
// The values are continuous inside the box the gradient method's sampler
// reaches (mca::sampler_reach: the same region for both); each evaluation
// rounds them (ParameterLayout::project), simulates a fixed sample of at
// most `sample_blocks` training blocks (every block, since all values move
// at once) and returns their mean relative error plus the penalty toward
// LLVM's values. At the end the best point's validation error is compared
// with LLVM's values' and the better kept. Deterministic; not resumable (a
// killed run starts again).
#pragma once

#include <cstddef>

#include "apps/coordinate_search.h"
#include "mca/parameter_sampler.h"

namespace surrogate::apps {

struct NloptOptions {
  std::size_t sample_blocks = 1000;  // training blocks simulated per evaluation
  mca::SamplerOptions box;           // the bounds: sampler_reach with these options
};

SearchResult nlopt_search(const SearchProblem& problem, const SearchOptions& options, const NloptOptions& nlopt,
                          std::ostream& log, const std::function<bool()>& cancel);

}  // namespace surrogate::apps
