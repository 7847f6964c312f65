#include "cli/train_command.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "apps/surrogate_training.h"
#include "runtime/frontend.h"
#include "runtime/model_file.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string labels;
  std::string output;
  nn::LstmShape shape;
  nn::TrainOptions train;
  double max_minutes = 0;
  unsigned jobs = util::default_jobs();
  std::string init;
  std::string frontend = runtime::kModelFrontend;
};

int run(Options o) {
  std::optional<runtime::ModelFile> initial;
  if (!o.init.empty()) initial = runtime::read_model_file(o.init);  // a bad model fails before the data are read
  apps::PreparedData data = apps::prepare_data(o.labels, initial ? initial->frontend : o.frontend, o.jobs, std::cerr,
                                               initial ? &initial->vocabulary : nullptr);
  o.train.max_seconds = o.max_minutes * 60;
  install_interrupt_handler();
  apps::TrainedSurrogate t =
      apps::train_surrogate(data, o.shape, o.train, o.output, std::cerr, [] { return interrupted.load(); }, o.init);
  if (t.result.interrupted) {
    std::cerr << "surrogate train: interrupted; run the same command again to resume from " << o.output << ".ckpt\n";
    return 130;
  }
  std::cerr << "surrogate train: wrote " << t.model_path << " and " << o.output << ".log.csv\n";
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train a hierarchical-LSTM surrogate (Ithemal's, as in Renda et al.) on a label set from 'surrogate label' "
      "or a CSV hex,throughput: 80/10/10 split by block hash, Adam, MAPE loss, learning rate halved when validation "
      "MAPE stalls, early stopping. Writes OUT.ckpt (resumable: run the same command again after an interruption), "
      "OUT.log.csv, and at the end the deployable model OUT.srg (for 'surrogate predict').");
  sub->add_option("--labels", o->labels, "label set (binary store or CSV)")->required();
  sub->add_option("-o,--output", o->output, "output prefix")->required();
  sub->add_option("--width", o->shape.width, "embedding and hidden width")->default_val(32)->check(CLI::Range(1, 1024));
  sub->add_option("--depth", o->shape.depth, "instruction LSTM layers")->default_val(1)->check(CLI::Range(1, 8));
  sub->add_option("--epochs", o->train.max_epochs, "maximum epochs")->default_val(o->train.max_epochs);
  sub->add_option("--batch", o->train.batch_size, "blocks per mini-batch")->default_val(o->train.batch_size);
  sub->add_option("--lr", o->train.learning_rate, "initial learning rate (Adam)")->default_val(o->train.learning_rate);
  sub->add_option("--loss", o->train.loss,
                  "what training minimises: mape (the paper's) or log-error (mean |log predicted - log true|: "
                  "learns blocks predicted far too low, where MAPE's gradient vanishes); validation is MAPE either way")
      ->transform(CLI::CheckedTransformer(std::map<std::string, nn::TrainOptions::Loss>{
          {"mape", nn::TrainOptions::Loss::kMape}, {"log-error", nn::TrainOptions::Loss::kLogError}}))
      ->default_str("mape");
  sub->add_option("--patience", o->train.patience, "epochs without improvement before stopping")
      ->default_val(o->train.patience);
  sub->add_option("--seed", o->train.seed, "seed of initialisation and shuffling")->default_val(o->train.seed);
  sub->add_option("--init", o->init,
                  "start from this deployed model's weights (.srg), with its vocabulary, width and depth (--width "
                  "and --depth ignored): more training on more data, or on measured throughputs");
  sub->add_option("--frontend", o->frontend,
                  "what the network reads: llvm19-x86-tokens (the instructions' tokens), "
                  "llvm19-x86-dependencies-v2 (also each instruction's data dependencies in the block: producer "
                  "distances, loop-carried, recurrences through values and through addresses) or "
                  "llvm19-x86-dependencies (its first version); ignored with --init")
      ->default_val(runtime::kModelFrontend)
      ->check(CLI::IsMember({"llvm19-x86-tokens", "llvm19-x86-dependencies", "llvm19-x86-dependencies-v2"}));
  sub->add_option("--max-minutes", o->max_minutes, "training time budget: no epoch begins that would end past it, judged by the one before (0: none)");
  sub->add_option("-j,--jobs", o->jobs, "threads decoding and tokenizing the labels (default: all cores)")
      ->check(CLI::Range(1u, 1024u));
  sub->add_option("--threads", o->train.threads,
                  "LibTorch threads for training (default 1: at these widths more threads only add "
                  "synchronisation; measured 47 vs 1,700 blocks/s at width 32 on a loaded 2-core machine; "
                  "train several models in parallel instead)")
      ->default_val(1)
      ->check(CLI::Range(1, 256));
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
