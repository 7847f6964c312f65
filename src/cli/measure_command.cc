#include "cli/measure_command.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "block/block_reader.h"
#include "block/rip_relative.h"
#include "block/x86_target.h"
#include "measure/host_info.h"
#include "measure/measure_job.h"
#include "util/atomic_file.h"

namespace surrogate::cli {

namespace {

struct Options {
  measure::Options harness;
  std::string output = "-";
  InputOptions input;
  bool ieee_denormals = false;
  bool median = false;
  std::string memory = "distinct";
  double disturbed_retry_seconds = 120;
};

// Why an AMX instruction of `b` cannot run in the worker, or "" if it has
// none: the CPU has no AMX, or (AMX hosts) the worker does not ask the
// kernel for AMX state (arch_prctl ARCH_REQ_XCOMP_PERM), so its first tile
// instruction raises #UD.
std::string amx_hint(const block::BasicBlock& b, bool host_has_amx) {
  const block::X86Target& x86 = block::X86Target::get();
  for (const llvm::MCInst& inst : b.instructions) {
    const std::string name = x86.opcode_name(inst.getOpcode());
    for (const char* prefix : {"TILE", "TDP", "TCMM", "LDTILECFG", "STTILECFG"})
      if (name.rfind(prefix, 0) == 0) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return "AMX instruction " + lower + ": " +
               (host_has_amx ? "the worker is not given AMX state by the kernel" : "this CPU has no AMX");
      }
  }
  return "";
}

}  // namespace

measure::JobBlock job_block_of(const block::BasicBlock& b, std::string identity) {
  static const bool host_has_amx = measure::host_info().has_amx;
  std::string hex = b.hex_column(), hint = amx_hint(b, host_has_amx);
  std::vector<measure::RipDisplacement> rip;
  for (const block::RipRelativeField& f : block::rip_relative_fields(b))
    rip.push_back({f.offset, f.instruction_end, f.alignment});
  const auto instructions = static_cast<uint32_t>(b.instructions.size());
  return {b.name,          b.bytes,        std::move(hex), b.error.has_value(), std::move(identity),
          std::move(hint), std::move(rip), instructions};
}

namespace {

int run(Options o) {
  util::refuse_output_over_input(o.output, o.input.inputs);
  // Runtime guard (the measure library is only built for x86-64; on other
  // hosts it refuses too, see src/measure/CMakeLists.txt).
  if (auto why = measure::unsupported_host_reason()) throw std::runtime_error(*why);
  o.harness.flush_denormals = !o.ieee_denormals;
  if (o.median) o.harness.estimator = measure::Options::Estimator::kMedian;
  o.harness.memory_layout =
      o.memory == "shared" ? measure::Options::MemoryLayout::kShared : measure::Options::MemoryLayout::kDistinct;
  block::BlockInputs inputs = block::read_block_inputs(o.input.inputs, o.input.read_options());
  std::vector<block::BasicBlock>& blocks = inputs.blocks;
  std::vector<measure::JobBlock> job_blocks;
  job_blocks.reserve(blocks.size());
  for (const block::BasicBlock& b : blocks) job_blocks.push_back(job_block_of(b, inputs.identity.cells(b)));

  measure::JobOptions job;
  job.output = o.output;
  job.inputs = o.input.inputs;
  job.identity_header = inputs.identity.header();
  job.tool_version = "surrogate 0.1.0";
  job.disturbed_retry_seconds = o.disturbed_retry_seconds;
  install_interrupt_handler();
  job.cancel = &interrupted;
  measure::JobSummary s = measure::run_measure_job(job_blocks, o.harness, job, std::cerr);
  if (s.interrupted) {
    std::cerr << "surrogate measure: interrupted; finished blocks are kept in " << o.output
              << ".partial: run the same command again to resume\n";
    return 130;
  }
  std::fprintf(stderr,
               "surrogate measure: measured %zu of %zu distinct blocks (%.2f%%; %zu resumed, %zu measured again after "
               "other load; %zu in two modes, the faster written; %zu over the unrolling ratio by their own copies) in "
               "%.1f s; TSC %.4f ticks/cycle\n",
               s.measured, s.distinct, s.distinct ? 100.0 * s.measured / s.distinct : 0.0, s.resumed, s.retried,
               s.two_modes, s.over_unrolling_ratio, s.seconds, s.tsc_per_cycle);
  return block::report_bad_rows(blocks, "measure", std::cerr) ? 1 : 0;
}

}  // namespace

Command add_measure_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "measure",
      "Measure blocks on this CPU (x86-64 only) with BHive's method: rdtsc, unroll-and-difference, "
      "interleaved calibration and canaries, faulting pages mapped on demand (each base register its own page: "
      "--memory), in "
      "sandboxed workers. Writes CSV 'hex,throughput' (cycles per 100 iterations, empty where "
      "unmeasurable; the reason goes to stderr) and OUT.meta.json; resumable.");
  sub->add_option("-j,--jobs", o->harness.jobs,
                  "worker threads, one per CPU (default: one per physical core; SMT siblings and a hybrid part's "
                  "efficiency cores stay idle)")
      ->check(CLI::Range(1u, 1024u));
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output, no metadata or journal)");
  sub->add_option("--repetitions", o->harness.repetitions, "clean repetitions per block and pass")
      ->default_val(o->harness.repetitions)
      ->check(CLI::Range(1u, 1000u));
  sub->add_option("--passes", o->harness.passes,
                  "passes over each batch; a block's lowest figure is kept (one pass over 5% slower: up to 2 more; two "
                  "modes, both figures, in OUT.meta.json)")
      ->default_val(o->harness.passes)
      ->check(CLI::Range(1u, 100u));
  sub->add_option("--timeout", o->harness.block_timeout_seconds, "seconds after which a block counts as hung")
      ->default_val(o->harness.block_timeout_seconds);
  sub->add_option("--batch", o->harness.batch_size, "blocks per batch (the passes run over a batch)")
      ->default_val(o->harness.batch_size)
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  sub->add_option("--worker-blocks", o->harness.worker_blocks,
                  "block measurements per worker process before a fresh one starts")
      ->default_val(o->harness.worker_blocks)
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  sub->add_flag("--median", o->median,
                "estimate by the median of per-repetition differences (default: difference of minima)");
  sub->add_option(
         "--disturbed-retry", o->disturbed_retry_seconds,
         "seconds of waiting (1, 2, 4, ... s between rounds) spent re-measuring blocks disturbed by other load; "
         "past it, rounds go on at the longest wait while each measures at least half, and ten, of its blocks")
      ->default_val(o->disturbed_retry_seconds)
      ->check(CLI::Range(0.0, 86400.0));
  sub->add_option("--stretch-tolerance", o->harness.stretch_tolerance,
                  "give a block up as disturbed (measured again later) when the worker's last repetitions read a "
                  "canary's median over this x its clean cost, or both over half its excess (a stretch of "
                  "contention); 0 = never")
      ->default_val(o->harness.stretch_tolerance)
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option("--code-mode-share", o->harness.code_mode_share,
                  "give a block up as disturbed and replace its worker when over this share of the worker's last "
                  "repetitions read the b run over the unrolling ratio (its block code runs slowly); 0 = never")
      ->default_val(o->harness.code_mode_share)
      ->check(CLI::Range(0.0, 0.999));
  sub->add_option("--memory", o->memory,
                  "where memory operands point: 'distinct' (each base register its own page and 256-byte offset, "
                  "every page its own memory) or 'shared' (BHive's: every register one address, one page for all)")
      ->default_val(o->memory)
      ->check(CLI::IsMember({"shared", "distinct"}));
  sub->add_flag("--ieee-denormals", o->ieee_denormals, "run with denormals (default: FTZ and DAZ on)");
  add_input_options(sub, o->input);
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
