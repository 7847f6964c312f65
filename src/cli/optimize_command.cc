#include "cli/optimize_command.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "block/block_reader.h"
#include "mca/cpu_params.h"
#include "mca/simulator.h"
#include "optimize/optimizer.h"
#include "runtime/surrogate_runtime.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/progress.h"
#include "util/throughput_text.h"

namespace surrogate::cli {
namespace {

struct Options {
  std::string cpu, model, live_out = "all", output = "-";
  std::size_t budget = 2000;
  std::uint64_t seed = 1;
  InputOptions input;
};

int run(Options o) {
  util::refuse_output_over_input(o.output, o.input.inputs);
  const std::optional<std::string> cpu = resolve_mcpu(o.cpu, "optimize");
  if (!cpu) return 0;
  optimize::OptimizeOptions options;
  options.live = semantics::LiveOut::parse(o.live_out);  // a bad spec fails before anything is read
  options.budget = o.budget;
  options.seed = o.seed;
  const mca::Simulator simulator(mca::CpuParams::stock(*cpu));
  if (o.model.empty()) {
    o.model = "models/" + *cpu + ".srg";
    if (access(o.model.c_str(), R_OK) != 0)
      throw std::runtime_error("no model for " + *cpu + " at " + o.model + ": give --model M.srg");
  }
  runtime::Surrogate surrogate(o.model);
  optimize::Optimizer optimizer(surrogate, simulator, options);
  const block::BlockInputs inputs = block::read_block_inputs(o.input.inputs, o.input.read_options());
  util::AtomicFile out(o.output);
  out.stream() << "hex,optimized_hex,cycles,optimized_cycles,predicted_cycles,live_out,verified,moves\n";
  const std::string live_text = options.live.describe();
  // A CSV cell: quoted when the list has commas.
  const std::string live = live_text.find(',') == std::string::npos ? live_text : "\"" + live_text + "\"";
  util::Progress progress("optimize", inputs.blocks.size());
  std::size_t improved = 0, failed = 0;
  for (const block::BasicBlock& b : inputs.blocks) {
    out.stream() << b.hex_column() << ",";
    if (b.error) {
      out.stream() << ",,,,," << live << ",,\n";
    } else {
      try {
        const optimize::OptimizeResult r = optimizer.optimize(b);
        improved += r.optimized != b.bytes;
        out.stream() << util::to_hex(r.optimized) << "," << util::format_throughput(r.cycles) << ","
                     << util::format_throughput(r.optimized_cycles) << ","
                     << util::format_throughput(r.predicted_cycles) << "," << live << "," << r.verified << ","
                     << r.moves << "\n";
      } catch (const std::exception& e) {  // the original cannot be simulated
        ++failed;
        std::cerr << b.name << ": " << e.what() << "\n";
        out.stream() << ",,,," << live << ",,\n";
      }
    }
    progress.advance(1);
  }
  out.commit();
  progress.finish();
  std::cerr << "surrogate optimize: " << improved << " of " << inputs.blocks.size()
            << " blocks rewritten faster (simulated), each tested equal on " << live_text << "\n";
  return block::report_bad_rows(inputs.blocks, "optimize", std::cerr) || failed ? 1 : 0;
}

}  // namespace

Command add_optimize_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "optimize",
      "Search for faster versions of basic blocks that compute the same live state: moves (delete, swap, "
      "register, catalogue of cheaper forms) scored by the surrogate, every rewrite tested equal on 1,000 states of "
      "the Unicorn emulator and confirmed faster by llvm-mca. Writes CSV hex,optimized_hex,cycles,"
      "optimized_cycles,predicted_cycles,live_out,verified,moves (cycles per 100 iterations)");
  sub->add_option("--mcpu", o->cpu, "LLVM x86 CPU name (see 'surrogate cpus')")->required();
  sub->add_option("--model", o->model, "surrogate model (default: models/CPU.srg)");
  sub->add_option("--live-out", o->live_out,
                  "what must agree after the block: 'all' (every GPR, flags, xmm0-15, memory) or a list, e.g. "
                  "rax,rbx,flags,memory");
  sub->add_option("--budget", o->budget, "surrogate evaluations per block")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  sub->add_option("--seed", o->seed, "random seed: the same seed gives the same rewrites");
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  add_input_options(sub, o->input);
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
