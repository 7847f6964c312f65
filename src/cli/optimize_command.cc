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
#include "util/parallel.h"
#include "util/result_journal.h"
#include "util/progress.h"
#include "util/throughput_text.h"

namespace surrogate::cli {
namespace {

struct Options {
  std::string cpu, model, live_out = "all", output = "-";
  std::size_t budget = 2000;
  std::uint64_t seed = 1;
  unsigned jobs = util::default_jobs();
  InputOptions input;
};

// A row's cells after `hex,` for a block that has no answer.
std::string empty_cells(const std::string& live) { return ",,,," + live + ",,"; }

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
  std::vector<std::unique_ptr<runtime::Surrogate>> surrogates(std::max(1u, o.jobs));  // one per thread
  surrogates[0] = std::make_unique<runtime::Surrogate>(o.model);  // a bad model fails before any block is read
  const block::BlockInputs inputs = block::read_block_inputs(o.input.inputs, o.input.read_options());
  const std::vector<block::BasicBlock>& blocks = inputs.blocks;
  const std::string live_text = options.live.describe();
  // A CSV cell: quoted when the list has commas.
  const std::string live = live_text.find(',') == std::string::npos ? live_text : "\"" + live_text + "\"";

  // Each block's cells after `hex,`, journaled so a killed run resumes: the
  // job is the inputs, CPU, model bytes and search options.
  std::string job = "optimize v1 cpu=" + *cpu + " model=" + util::fingerprint_of(util::read_file(o.model)) +
                    " live=" + live_text + " budget=" + std::to_string(o.budget) + " seed=" + std::to_string(o.seed);
  for (const block::BasicBlock& b : blocks) job += "\n" + b.hex_column();
  util::ResultJournal journal(o.output, util::fingerprint_of(job), /*flush_every=*/1);
  std::vector<std::string> cells(blocks.size()), failures(blocks.size());  // failures: why a block has no answer
  std::vector<char> improved(blocks.size(), 0);
  std::size_t resumed = 0;
  for (const auto& [i, entry] : journal.finished())
    if (i < blocks.size()) {
      cells[i] = entry.value;
      if (!blocks[i].error) failures[i] = entry.note;
      improved[i] = entry.note.empty() && cells[i].rfind(blocks[i].hex() + ",", 0) != 0;
      ++resumed;
    }
  util::Progress progress("optimize", blocks.size(), resumed);
  util::parallel_for(blocks.size(), o.jobs, [&](std::size_t i, unsigned worker) {
    if (interrupted.load() || !cells[i].empty()) return;
    const block::BasicBlock& b = blocks[i];
    std::string note;
    if (b.error) {
      cells[i] = empty_cells(live);
      note = "bad row";
    } else {
      if (!surrogates[worker]) surrogates[worker] = std::make_unique<runtime::Surrogate>(o.model);
      optimize::Optimizer optimizer(*surrogates[worker], simulator, options);
      try {
        const optimize::OptimizeResult r = optimizer.optimize(b);
        improved[i] = r.optimized != b.bytes;
        cells[i] = util::to_hex(r.optimized) + "," + util::format_throughput(r.cycles) + "," +
                   util::format_throughput(r.optimized_cycles) + "," + util::format_throughput(r.predicted_cycles) +
                   "," + live + "," + r.verified + "," + r.moves;
      } catch (const std::exception& e) {  // the original cannot be simulated
        note = failures[i] = e.what();
        cells[i] = empty_cells(live);
      }
    }
    journal.record(i, {cells[i], note});
    progress.advance(1);
  });
  progress.finish();
  if (interrupted.load()) {
    std::cerr << "surrogate optimize: interrupted; finished blocks are kept in " << o.output
              << ".partial: run the same command again to go on\n";
    return 130;
  }
  util::AtomicFile out(o.output);
  out.stream() << "hex,optimized_hex,cycles,optimized_cycles,predicted_cycles,live_out,verified,moves\n";
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    out.stream() << blocks[i].hex_column() << "," << cells[i] << "\n";
    if (!failures[i].empty()) std::cerr << blocks[i].name << ": " << failures[i] << "\n";
  }
  out.commit();
  journal.remove();
  std::size_t n_improved = 0, n_failed = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) n_improved += improved[i], n_failed += !failures[i].empty();
  std::cerr << "surrogate optimize: " << n_improved << " of " << blocks.size()
            << " blocks rewritten faster (simulated), each tested equal on " << live_text
            << (resumed ? "; " + std::to_string(resumed) + " taken from " + o.output + ".partial" : "") << "\n";
  return block::report_bad_rows(blocks, "optimize", std::cerr) || n_failed ? 1 : 0;
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
  sub->add_option("--seed", o->seed, "random seed: the same seed gives the same rewrites (whatever --jobs)");
  sub->add_option("-j,--jobs", o->jobs, "threads, one block each (default: the CPUs this process may use)")
      ->check(CLI::Range(1u, 1024u));
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  add_input_options(sub, o->input);
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
