#include "cli/adapt_command.h"

#include <iostream>
#include <memory>

#include "apps/adaptation.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  apps::AdaptOptions adapt;
  double max_minutes = 15;
};

int run(Options o) {
  if (o.adapt.base_models.empty()) {
    o.adapt.base_models = apps::shipped_models();
    if (o.adapt.base_models.empty()) {
      std::cerr << "surrogate adapt: no shipped models found; give --model BASE.srg\n";
      return 2;
    }
  }
  o.adapt.training.max_seconds = o.max_minutes * 60;
  install_interrupt_handler();
  const apps::AdaptResult r = apps::adapt(o.adapt, std::cerr, [] { return interrupted.load(); });
  if (r.interrupted) {
    std::cerr << "surrogate adapt: interrupted; run the same command again to resume\n";
    return 130;
  }
  std::cerr << "surrogate adapt: wrote " << o.adapt.output << "\n";
  return 0;
}

}  // namespace

Command add_adapt_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  o->adapt.jobs = util::default_jobs();
  o->adapt.training.learning_rate = 5e-4;
  o->adapt.training.patience = 4;
  CLI::App* sub = app.add_subcommand(
      "adapt",
      "Neural adaptation (Renda et al., section 4): fine-tune a surrogate of llvm-mca on throughputs measured on "
      "this machine ('surrogate measure' output), so it becomes a model of this CPU. The measured blocks are split "
      "80/10/10 by hash; the base model closest on the validation split is adapted; training stops early on it, "
      "or at --max-minutes with the best model so far; the test split then compares llvm-mca, the base and the "
      "adapted model. Blocks of openssl, sqlite and redis are never trained on. Resumable: run the same command "
      "again after an interruption.");
  sub->add_option("--measured", o->adapt.measured, "measured throughputs (CSV hex,throughput[,sources] or label store)")
      ->required();
  sub->add_option("--model", o->adapt.base_models,
                  "base model(s) (.srg); several: the closest on the measured validation split (default: every "
                  "shipped model)");
  sub->add_option("-o,--output", o->adapt.output, "the adapted model, OUT.srg (OUT.ckpt and OUT.log.csv beside it)")
      ->required();
  sub->add_option("--max-minutes", o->max_minutes, "time budget of the fine-tuning (0: none)")->default_val(15);
  sub->add_option("--lr", o->adapt.training.learning_rate, "initial learning rate (Adam)")->default_val(5e-4);
  sub->add_option("--epochs", o->adapt.training.max_epochs, "maximum epochs")
      ->default_val(o->adapt.training.max_epochs);
  sub->add_option("--patience", o->adapt.training.patience, "epochs without improvement before stopping")
      ->default_val(4);
  sub->add_option("--batch", o->adapt.training.batch_size, "blocks per mini-batch")
      ->default_val(o->adapt.training.batch_size);
  sub->add_option("--seed", o->adapt.training.seed, "seed of the shuffling")->default_val(o->adapt.training.seed);
  sub->add_option("-j,--jobs", o->adapt.jobs, "threads preparing and scoring the data (default: all cores)")
      ->check(CLI::Range(1u, 1024u));
  sub->add_option("--threads", o->adapt.training.threads, "LibTorch threads for training")
      ->default_val(1)
      ->check(CLI::Range(1, 256));
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
