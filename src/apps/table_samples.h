// The data a parameter-conditioned surrogate learns from (DiffTune): CPU
// parameter tables sampled around a centre (mca/parameter_sampler.h), each
// simulated by the real simulator on some of the blocks its changes affect.
// Used by the gradient tuner (apps/gradient_search.h) in each round and by
// the making of a shipped parameter surrogate (apps/parameter_surrogate.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "block/basic_block.h"
#include "mca/cpu_params.h"
#include "mca/parameter_sampler.h"
#include "mca/parameter_vector.h"

namespace surrogate::apps {

// One sampled table and its simulations: (block index, cycles per 100 iterations),
// ascending by block; blocks the simulator refuses under the table are absent.
struct SimulatedTable {
  mca::SampledTable table;
  std::vector<std::pair<std::uint32_t, float>> cycles;
};

// Per layout field, the indices (ascending) of the blocks whose simulation
// its value can change: the blocks with the field's opcode; empty for a
// global field (it changes every block) and for an opcode none of them has.
std::vector<std::vector<std::uint32_t>> blocks_per_field(const mca::ParameterLayout& layout,
                                                         std::span<const block::BasicBlock> blocks);

// The opcodes of `blocks`, and those of them `stock` has a row for that
// occur in at least `min_support` blocks (the opcodes whose fields a fit
// moves; a block counts once however often it uses one).
std::set<unsigned> opcodes_of(std::span<const block::BasicBlock> blocks);
std::set<unsigned> supported_opcodes(const mca::CpuParams& stock, std::span<const block::BasicBlock> blocks,
                                     std::size_t min_support);

// `tables` tables sampled around `centre` (table t from seed mix(seed, t)),
// each simulated (under layout.apply(stock, values)) on at most
// `blocks_per_table` of the blocks its changed fields affect (all blocks when
// it changes a global), chosen by a hash of (seed + t, block). Deterministic
// for a seed whatever `jobs`.
std::vector<SimulatedTable> simulate_sampled_tables(const mca::CpuParams& stock, const mca::ParameterLayout& layout,
                                                    std::span<const double> centre, const mca::SamplerOptions& sampler,
                                                    std::size_t tables, std::size_t blocks_per_table,
                                                    std::span<const block::BasicBlock> blocks,
                                                    const std::vector<std::vector<std::uint32_t>>& affected,
                                                    std::uint64_t seed, unsigned jobs);

// splitmix64 of a pair: the seeds of tables and rounds.
std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);

}  // namespace surrogate::apps
