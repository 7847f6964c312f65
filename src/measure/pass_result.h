// A block's result from its passes over a batch (Harness): which passes a
// block needs and how their figures become one Measurement.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "measure/measurement.h"

namespace surrogate::measure {

// A block that faulted, hung or is too long will do so again; a measured one,
// or one given up because of other load, may read differently another time.
bool worth_another_pass(const Measurement& m);

// The figures of a block's measured passes.
std::vector<double> figures_of(const std::vector<Measurement>& passes);

// Whether a block has one measured pass and another given up as disturbed:
// no second pass confirms that figure (on a Zen 5 guest one pass read a
// 15-cycle chain at 23.4 with every L_b run slowed alike, and the next pass
// was given up), so it is measured in more passes, and given up after the
// last. `required`: Options::passes.
bool lone_pass(const std::vector<Measurement>& passes, size_t measured, uint32_t required);

// A block's result from all its passes (Options::passes): the fastest pass
// with pass_figure's figure as its throughput (its second mode, if any, as
// other_mode); when no
// second pass confirms the fastest, or a lone pass stands (lone_pass),
// unmeasurable as disturbed (measured again in a later round); when none
// measured, the latest pass. A second mode stands only when passes of two
// worker processes read it (`pids`: each pass's worker process): passes
// alternate between workers, and one worker slow all through reads its
// passes alike (BENCHMARKS.md 46). Attempts, flagged repetitions and faulted
// pages add up over the passes; `workers` counts the distinct processes.
Measurement result_of_passes(const std::vector<Measurement>& passes, const std::vector<pid_t>& pids, uint32_t required);

}  // namespace surrogate::measure
