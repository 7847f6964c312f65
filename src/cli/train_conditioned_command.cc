#include "cli/train_conditioned_command.h"

#include <iomanip>
#include <iostream>
#include <memory>

#include "apps/parameter_surrogate.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  apps::ParameterSurrogateOptions make;
  double max_minutes = 0;
};

int run(Options o) {
  std::optional<std::string> cpu = resolve_mcpu(o.make.cpu, "train-conditioned");
  if (!cpu) return 0;
  o.make.cpu = *cpu;
  o.make.max_seconds = o.max_minutes * 60;
  install_interrupt_handler();
  const apps::ParameterSurrogateResult r =
      apps::make_parameter_surrogate(o.make, std::cerr, [] { return interrupted.load(); });
  if (r.interrupted) {
    std::cerr << "surrogate train-conditioned: interrupted; run the same command again to resume\n";
    return 130;
  }
  std::cout << std::fixed << std::setprecision(2) << "parameter surrogate of " << o.make.cpu << ": " << r.train_blocks
            << " training blocks, " << r.fields << " fields sampled, " << r.samples << " simulations, " << r.epochs
            << " epochs, " << std::setprecision(0) << r.seconds << " s\n"
            << std::setprecision(2) << "error against the simulator: " << 100 * r.unseen_tables_mape
            << "% MAPE on training blocks under unseen tables; on " << r.unseen_blocks << " unseen blocks "
            << 100 * r.unseen_blocks_stock_mape << "% under LLVM's values and " << 100 * r.unseen_blocks_mape
            << "% (Kendall tau " << std::setprecision(3) << r.unseen_blocks_tau << ") under unseen tables, where "
            << std::setprecision(2) << 100 * r.unseen_blocks_blind_mape
            << "% is the error of the cycles under LLVM's values (blind to the tables)\n";
  std::cerr << "surrogate train-conditioned: wrote " << o.make.output << " (use it with 'surrogate tune --method "
            << "gradient --surrogate " << o.make.output << "')\n";
  return 0;
}

}  // namespace

Command add_train_conditioned_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  o->make.jobs = util::default_jobs();
  CLI::App* sub = app.add_subcommand(
      "train-conditioned",
      "Make the parameter-conditioned surrogate of a CPU (DiffTune's surrogate) that 'surrogate tune --method "
      "gradient' starts from: parameter tables are sampled around LLVM's values (a few fields at a time), the "
      "real simulator labels blocks under each, and a hierarchical LSTM that reads each instruction's parameters "
      "learns them; it is judged on blocks and tables it never saw. Blocks of openssl, sqlite and redis are left "
      "out. Resumable: run the same command again after an interruption. Writes OUT.pt; models/params-CPU.pt "
      "is found by tune.");
  sub->add_option("--mcpu", o->make.cpu,
                  "LLVM CPU ('native': this host's); the surrogate serves every CPU of its "
                  "scheduling model")
      ->required();
  sub->add_option("blocks", o->make.blocks, "blocks (CSV hex[,sources] or label store; labels are not used)")
      ->required();
  sub->add_option("-o,--output", o->make.output, "the surrogate, OUT.pt")->required();
  sub->add_option("--max-blocks", o->make.max_blocks, "blocks drawn (by hash) before the 80/10/10 split (0: all)")
      ->default_val(o->make.max_blocks);
  sub->add_option("--min-support", o->make.min_support,
                  "an opcode's fields are sampled if it occurs in at least this many training blocks")
      ->default_val(o->make.min_support)
      ->check(CLI::Range(1ul, 1000000ul));
  sub->add_option("--tables", o->make.tables, "parameter tables sampled around LLVM's values")
      ->default_val(o->make.tables)
      ->check(CLI::Range(10ul, 10000000ul));
  sub->add_option("--blocks-per-table", o->make.blocks_per_table, "training blocks simulated under each table")
      ->default_val(o->make.blocks_per_table)
      ->check(CLI::Range(1ul, 1000000ul));
  sub->add_option("--width", o->make.width, "the LSTMs' width")
      ->default_val(o->make.width)
      ->check(CLI::Range(4l, 1024l));
  sub->add_option("--epochs", o->make.epochs, "training epochs, at most (early stopping on unseen tables)")
      ->default_val(o->make.epochs)
      ->check(CLI::Range(1, 10000));
  sub->add_option("--max-minutes", o->max_minutes, "training time budget (0: none)")->default_val(0);
  sub->add_option("--seed", o->make.seed, "seed of the sampler and the training")->default_val(o->make.seed);
  sub->add_option("-j,--jobs", o->make.jobs, "threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
