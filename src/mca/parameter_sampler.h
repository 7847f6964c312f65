// Parameter tables sampled around a starting table: the training inputs of a
// parameter-conditioned surrogate (DiffTune), here drawn *near* LLVM's values
// rather than uniformly from scratch, so that the surrogate is accurate where
// a tuner starting from LLVM's values will look.
//
// One sample changes a few fields at a time (a Poisson-like number with mean
// `fields_per_table` of the per-opcode fields, with probability
// `global_probability` one global field, with probability `row_probability`
// one opcode's whole row by one factor); each other changed field moves either by
// an integer step in [-max_step, max_step] or by a factor log-uniform in
// [1/max_factor, max_factor] (rounded; a change of 0 becomes +-1), then is
// clamped to its range (micro-ops and port cycles LLVM's table has stay at
// least 1: values move, the port mapping does not). reach() is the smallest box holding every value the
// sampler can draw: the region where the surrogate has seen data, the
// tuner's bounds. Deterministic in the seed, on every platform (no
// std::*_distribution).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "mca/parameter_vector.h"

namespace surrogate::mca {

struct SamplerOptions {
  double fields_per_table = 6;      // mean per-opcode fields changed by one sample
  double global_probability = 0.3;  // chance that a sample also changes one global field
  long long max_step = 2;           // additive move, in the field's units
  double max_factor = 3;            // multiplicative move
  // Chance that a sample also scales one opcode's whole row (every field of
  // it by the same log-uniform factor): the joint moves a field-at-a-time
  // sampler never shows (e.g. a 100-micro-op, 100-cycle row that is a nop).
  double row_probability = 0.3;
};

struct SampledTable {
  std::vector<double> values;        // one per layout field: integers in range
  std::vector<std::size_t> changed;  // fields that differ from the start, ascending
};

// Draws one table around `start` (one value per field of `layout`).
SampledTable sample_around(const ParameterLayout& layout, std::span<const double> start, const SamplerOptions& options,
                           std::uint64_t seed);

// Per field, [lo, hi]: the values sample_around can draw from `start`.
std::vector<std::pair<double, double>> sampler_reach(const ParameterLayout& layout, std::span<const double> start,
                                                     const SamplerOptions& options);

}  // namespace surrogate::mca
