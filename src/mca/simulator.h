// Simulator: llvm-mca's pipeline, in process, over an editable CpuParams.
//
// For each block it does what `llvm-mca -iterations=N` does for one code
// region (InstrBuilder, the target's InstrPostProcess and CustomBehaviour,
// Context::createDefaultPipeline) and returns the pipeline's total cycles.
// With the stock CpuParams of a CPU the result equals llvm-mca-19's "Total
// Cycles". Thread-safe: concurrent calls use separate engines (instruction
// builders) from an internal pool. Memory stays flat: pipeline hardware lives
// in a per-block mca::Context, and builders' caches are cleared periodically.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "block/basic_block.h"
#include "mca/cpu_params.h"
#include "mca/labeller.h"
#include "mca/simulation_report.h"

namespace surrogate::mca {

// A block this CPU model cannot simulate (e.g. an instruction it has no
// scheduling information for). what() is one line.
class SimulationError : public LabelError {
 public:
  using LabelError::LabelError;
};

class Simulator {
 public:
  static constexpr unsigned kDefaultIterations = 100;

  // Materialises the params (throws std::runtime_error if they are invalid).
  explicit Simulator(const CpuParams& params);
  ~Simulator();

  const CpuParams& params() const;

  // Total cycles to run `iterations` iterations of the block.
  std::uint64_t cycles(const block::BasicBlock& block, unsigned iterations = kDefaultIterations) const;
  // The run of cycles() with what the pipeline did: resource pressure,
  // per-instruction timing, dispatch stalls (simulation_report.h). Same
  // cycles as cycles(); slower (an event listener on every event).
  SimulationReport report(const block::BasicBlock& block, unsigned iterations = kDefaultIterations) const;
  // Throughput in cycles per 100 iterations (BHive's unit).
  double throughput(const block::BasicBlock& block, unsigned iterations = kDefaultIterations) const {
    return static_cast<double>(cycles(block, iterations)) * 100.0 / iterations;
  }

 private:
  struct Impl;
  std::uint64_t run(const block::BasicBlock& block, unsigned iterations, SimulationReport* report) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace surrogate::mca
