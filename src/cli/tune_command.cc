#include "cli/tune_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>

#include "apps/parameter_surrogate.h"
#include "apps/tuning.h"
#include "mca/cpu_catalog.h"
#include "util/executable.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  apps::TuneOptions tune;
  double max_minutes = 20;
  std::string surrogate = "auto";
};

// The gradient method's parameter surrogate: "shipped" is the one shipped
// for the CPU's scheduling model (models/ here or beside the build), "auto"
// that one if there is one, "none" one trained in the run.
std::string surrogate_path(const std::string& choice, const std::string& cpu) {
  if (choice == "none") return "";
  if (choice != "auto" && choice != "shipped") return choice;
  const auto& cpus = mca::x86_cpus();
  if (std::none_of(cpus.begin(), cpus.end(), [&](const mca::CpuInfo& c) { return c.name == cpu; }))
    return "";  // tune() says it is unknown
  for (const std::filesystem::path& dir :
       {std::filesystem::path("models"), util::executable_directory() / "../../models"}) {
    std::string path = apps::find_shipped_parameter_surrogate(cpu, dir.string());
    if (!path.empty()) return path;
  }
  const std::string make = "'surrogate train-conditioned --mcpu " + cpu +
                           " ../shared/data/bhive-blocks.csv -o models/params-" + cpu +
                           ".pt' makes one (about 20 minutes)";
  if (choice == "shipped") throw std::runtime_error("no parameter surrogate shipped for " + cpu + "'s model; " + make);
  std::cerr << "surrogate tune: no parameter surrogate shipped for " << cpu << "'s model; training one in this run ("
            << make << ")\n";
  return "";
}

int run(Options o) {
  std::optional<std::string> cpu = resolve_mcpu(o.tune.cpu, "tune");
  if (!cpu) return 0;
  o.tune.cpu = *cpu;
  o.tune.max_seconds = o.max_minutes * 60;
  if (o.tune.method == "gradient") {
    o.tune.gradient.surrogate = surrogate_path(o.surrogate, o.tune.cpu);
    if (!o.tune.gradient.surrogate.empty()) {
      apps::load_parameter_surrogate_of(o.tune.gradient.surrogate, o.tune.cpu);  // bad input: before any work
      std::cerr << "surrogate tune: starting from the parameter surrogate " << o.tune.gradient.surrogate << "\n";
    }
  }
  install_interrupt_handler();
  const apps::GradientOptions gradient = o.tune.gradient;
  const std::map<std::string, apps::SearchMethod> methods{
      {"gradient",
       [gradient](const apps::SearchProblem& p, const apps::SearchOptions& s, std::ostream& log,
                  const std::function<bool()>& cancel) { return apps::gradient_search(p, s, gradient, log, cancel); }}};
  const apps::TuneResult r = apps::tune(o.tune, std::cerr, [] { return interrupted.load(); }, methods);
  if (r.interrupted) {
    std::cerr << "surrogate tune: interrupted; run the same command again to resume\n";
    return 130;
  }
  apps::write_tune_report(std::cout, o.tune, r);
  std::cerr << "surrogate tune: wrote " << o.tune.output << " (use it with 'surrogate simulate --params "
            << o.tune.output << "')\n";
  return 0;
}

}  // namespace

Command add_tune_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  o->tune.jobs = util::default_jobs();
  CLI::App* sub = app.add_subcommand(
      "tune",
      "Surrogate optimisation's goal (Renda et al., section 5; DiffTune): fit llvm-mca's CPU parameters (per-opcode "
      "micro-ops, latencies, port cycles, ReadAdvance; global widths and buffers) to throughputs measured on this "
      "machine ('surrogate measure' output), starting from LLVM's values, and write them as a params file for "
      "'surrogate simulate --params'. The measured blocks are split 80/10/10 by hash: fitted on the first part, "
      "the sweep with the lowest validation error is kept, the test part compares LLVM's values with the tuned "
      "ones. Blocks of openssl, sqlite and redis are never tuned on. Resumable: run the same command again after "
      "an interruption. Writes TUNED.json and TUNED.report.md; prints the report.");
  sub->add_option("--mcpu", o->tune.cpu, "LLVM CPU whose parameters start the tuning ('native': this host's)")
      ->required();
  sub->add_option("--measured", o->tune.measured, "measured throughputs (CSV hex,throughput[,sources] or label store)")
      ->required();
  sub->add_option("-o,--output", o->tune.output, "the tuned parameters, TUNED.json (TUNED.report.md beside it)")
      ->required();
  sub->add_option("--method", o->tune.method,
                  "search method: coordinate (coordinate descent on the simulator) or gradient (DiffTune: descent "
                  "through a parameter-conditioned surrogate trained in the run on tables sampled around LLVM's "
                  "values; every candidate judged by the simulator) or nlopt (NLopt's Subplex on the simulator, a "
                  "derivative-free baseline)")
      ->default_val("coordinate");
  sub->add_option("--rounds", o->tune.gradient.rounds,
                  "gradient: trust regions (sample around the best values so far, continue the surrogate, descend)")
      ->default_val(o->tune.gradient.rounds)
      ->check(CLI::Range(1u, 1000u));
  sub->add_option("--surrogate", o->surrogate,
                  "gradient: the parameter surrogate to start from: auto (the one shipped for the CPU's model, "
                  "models/params-CPU.pt, else one trained in the run), shipped (that one, or an error), none (train "
                  "one in the run), or a file made by 'surrogate train-conditioned'")
      ->default_val(o->surrogate);
  sub->add_option("--tables", o->tune.gradient.tables, "gradient: parameter tables sampled per round")
      ->default_val(o->tune.gradient.tables)
      ->check(CLI::Range(10ul, 10000000ul));
  sub->add_option("--blocks-per-table", o->tune.gradient.blocks_per_table,
                  "gradient: training blocks simulated under each sampled table")
      ->default_val(o->tune.gradient.blocks_per_table)
      ->check(CLI::Range(1ul, 1000000ul));
  sub->add_option("--sample-blocks", o->tune.nlopt.sample_blocks, "nlopt: training blocks simulated per evaluation")
      ->default_val(o->tune.nlopt.sample_blocks)
      ->check(CLI::Range(10ul, 10000000ul));
  sub->add_option("--descent-epochs", o->tune.gradient.descent_epochs,
                  "gradient: passes of the descent over the training blocks per round")
      ->default_val(o->tune.gradient.descent_epochs)
      ->check(CLI::Range(1, 10000));
  sub->add_option("--max-minutes", o->max_minutes,
                  "time budget of the search (0: none); the best values so far are kept")
      ->default_val(20);
  sub->add_option("--budget-simulations", o->tune.budget_simulations,
                  "at most this many block simulations in the search (0: none)")
      ->default_val(0);
  sub->add_option("--max-blocks", o->tune.max_blocks, "measured blocks drawn (by hash) before the split (0: all)")
      ->default_val(o->tune.max_blocks);
  sub->add_option("--min-support", o->tune.min_support,
                  "an opcode's fields move only if it occurs in at least this many training blocks")
      ->default_val(o->tune.min_support)
      ->check(CLI::Range(1, 1000000));
  sub->add_option("--penalty", o->tune.penalty,
                  "cost of a one-unit change of a per-opcode field, in relative error summed over blocks (a global "
                  "field: of a 10% change)")
      ->default_val(o->tune.penalty)
      ->check(CLI::Range(0.0, 1e9));
  sub->add_option("--max-sweeps", o->tune.max_sweeps, "passes over every field")
      ->default_val(o->tune.max_sweeps)
      ->check(CLI::Range(1u, 1000u));
  sub->add_option("-j,--jobs", o->tune.jobs, "simulator threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
