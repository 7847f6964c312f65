#include "cli/predict_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "block/block_reader.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/atomic_file.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string model;
  unsigned jobs = default_jobs();
  std::string output = "-";
  bool stats = false;
  std::string kernels = "auto";
  std::vector<std::string> inputs;
};

int run(const Options& o) {
  // The model first: a bad model file fails before any decoding.
  runtime::Isa isa = runtime::best_isa();
  for (runtime::Isa i : {runtime::Isa::kScalar, runtime::Isa::kAvx2, runtime::Isa::kAvx512})
    if (o.kernels == runtime::isa_name(i)) isa = i;
  runtime::Predictor predictor(runtime::read_model_file(o.model), isa);
  std::vector<BasicBlock> blocks = read_blocks(o.inputs);
  auto start = std::chrono::steady_clock::now();
  std::vector<double> throughputs = predictor.predict(blocks, o.jobs);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  AtomicFile out(o.output);
  out.stream() << "hex,throughput\n";
  for (std::size_t i = 0; i < blocks.size(); ++i)
    out.stream() << blocks[i].hex() << ',' << format_throughput(throughputs[i]) << '\n';
  out.commit();
  if (o.stats) {
    // The inference alone (reading and decoding the inputs not included).
    char rate[96];
    std::snprintf(rate, sizeof rate, "predicted in %.1f ms (%.0f blocks/s)", 1e3 * seconds,
                  seconds > 0 ? static_cast<double>(blocks.size()) / seconds : 0.0);
    const runtime::Network& net = predictor.network();
    std::cerr << "surrogate predict: " << predictor.stats().summary() << "; " << rate << "; "
              << runtime::isa_name(net.isa()) << " kernels, width " << net.width() << ", depth " << net.depth()
              << '\n';
  }
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "predict",
      "Predict blocks' throughput with a surrogate model (.srg file), without LibTorch; writes CSV "
      "'hex,throughput' (cycles per 100 iterations), one row per input block in input order.");
  sub->add_option("--model", o->model, "surrogate model file (.srg)")->required();
  sub->add_option("-j,--jobs", o->jobs, "threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  sub->add_flag("--stats", o->stats, "print instruction-cache hit rates to stderr");
  sub->add_option("--kernels", o->kernels, "matrix kernels: auto (the widest this CPU runs), scalar, avx2, avx512")
      ->check(CLI::IsMember({"auto", "scalar", "avx2", "avx512"}));
  sub->add_option("inputs", o->inputs, "blocks: BHive CSV / hex lines, AT&T or Intel assembly, x86-64 ELF")
      ->required();
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
