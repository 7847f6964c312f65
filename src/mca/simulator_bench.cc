// Benchmark (not a test): what a new parameter set costs the simulator.
// A tuner or a parameter-conditioned data set simulates blocks under many
// parameter sets; each needs its own Simulator (LLVM's InstrBuilder caches
// instruction descriptors). Compared in one run, on haswell:
//   NewSimulatorWholeTable  a Simulator of the whole table (19,421 opcode rows)
//   NewSimulatorOnlyOpcodes a Simulator of CpuParams::only_opcodes (the rows of one block)
//   SimulateOneBlock        one block on an existing Simulator (the work itself)
// Each iteration also simulates the block once, so the three are comparable.
//   build/bin/surrogate_simulator_bench
// Blocks: the first 200 of data/heldout-elf.csv, one per iteration in turn.
#include <benchmark/benchmark.h>

#include <set>
#include <string>
#include <vector>

#include "block/block_reader.h"
#include "mca/simulator.h"

namespace {

using surrogate::mca::CpuParams;
using surrogate::mca::Simulator;
using surrogate::block::BasicBlock;

const std::vector<BasicBlock>& blocks() {
  static const std::vector<BasicBlock> b = [] {
    auto all = surrogate::block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/heldout-elf.csv");
    all.resize(200);
    return all;
  }();
  return b;
}

const CpuParams& haswell() {
  static const CpuParams p = CpuParams::stock("haswell");
  return p;
}

std::set<unsigned> opcodes_of(const BasicBlock& b) {
  std::set<unsigned> ops;
  for (const auto& inst : b.instructions) ops.insert(inst.getOpcode());
  return ops;
}

void NewSimulatorWholeTable(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    const BasicBlock& b = blocks()[i++ % blocks().size()];
    CpuParams params = haswell();  // a tuner's new parameter set
    Simulator s(params);
    benchmark::DoNotOptimize(s.cycles(b));
  }
  state.SetItemsProcessed(state.iterations());
}

void NewSimulatorOnlyOpcodes(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    const BasicBlock& b = blocks()[i++ % blocks().size()];
    Simulator s(haswell().only_opcodes(opcodes_of(b)));
    benchmark::DoNotOptimize(s.cycles(b));
  }
  state.SetItemsProcessed(state.iterations());
}

void SimulateOneBlock(benchmark::State& state) {
  static const Simulator s(haswell());
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(s.cycles(blocks()[i++ % blocks().size()]));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(NewSimulatorWholeTable)->Unit(benchmark::kMillisecond);
BENCHMARK(NewSimulatorOnlyOpcodes)->Unit(benchmark::kMillisecond);
BENCHMARK(SimulateOneBlock)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
