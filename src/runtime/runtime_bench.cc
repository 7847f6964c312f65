// Benchmark (not a test): the C++ API one block at a time, as a compiler's
// cost model would call it, against the simulator it replaces on the same
// blocks, in one run (Google Benchmark; items/s = blocks/s).
//   build/bin/surrogate_runtime_bench [--benchmark_filter=...]
// Blocks: data/heldout-elf.csv (SURROGATE_BENCH_BLOCKS to change), model:
// models/haswell.srg (SURROGATE_BENCH_MODEL), simulator CPU: the model's.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "block/block_reader.h"
#include "mca/simulator.h"
#include "runtime/surrogate_runtime.h"

namespace {

std::string setting(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

const std::vector<surrogate::block::BasicBlock>& blocks() {
  static const std::vector<surrogate::block::BasicBlock> b = surrogate::block::read_blocks(
      setting("SURROGATE_BENCH_BLOCKS", std::string(SURROGATE_SOURCE_DIR) + "/data/heldout-elf.csv"));
  return b;
}

std::string model_path() {
  return setting("SURROGATE_BENCH_MODEL", std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg");
}

// predict_hex on every block in turn; a fresh Surrogate per pass over the
// blocks (its instruction cache starts empty, as in a new process).
void BM_SurrogatePredictHex(benchmark::State& state) {
  std::vector<std::string> hex;
  for (const auto& b : blocks()) hex.push_back(b.hex());
  for (auto _ : state) {
    state.PauseTiming();
    surrogate::runtime::Surrogate model(model_path());
    state.ResumeTiming();
    double sum = 0;
    for (const std::string& h : hex) sum += model.predict_hex(h);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * hex.size()));
}
BENCHMARK(BM_SurrogatePredictHex)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The simulator (llvm-mca's pipeline in process, 100 iterations) on the same
// blocks, decoded beforehand.
void BM_SimulatorThroughput(benchmark::State& state) {
  surrogate::runtime::Surrogate model(model_path());
  const std::string cpu = model.cpu().empty() ? "haswell" : model.cpu();
  surrogate::mca::Simulator simulator(surrogate::mca::CpuParams::stock(cpu));
  for (auto _ : state) {
    double sum = 0;
    for (const auto& b : blocks()) sum += simulator.throughput(b);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * blocks().size()));
}
BENCHMARK(BM_SimulatorThroughput)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
