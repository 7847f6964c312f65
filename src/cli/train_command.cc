#include "cli/train_command.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "dataset/encoded_dataset.h"
#include "dataset/label_store.h"
#include "nn/trainer.h"
#include "util/atomic_file.h"
#include "util/result_journal.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string labels;
  std::string output;
  nn::LstmShape shape;
  nn::TrainOptions train;
  double max_minutes = 0;
  unsigned jobs = default_jobs();
};

int run(Options o) {
  LabelSet labels = read_labels(o.labels);
  TokenizedLabels tokens = tokenize_labels(labels, o.jobs);
  Vocabulary vocabulary = training_vocabulary(labels, tokens);
  std::vector<EncodedBlock> data = encode_labels(labels, tokens, vocabulary);
  std::size_t counts[3] = {};
  for (const EncodedBlock& b : data) ++counts[static_cast<int>(b.split)];
  std::fprintf(stderr, "%s: %zu blocks (%zu train, %zu validation, %zu test; %zu skipped), %zu tokens\n",
               o.labels.c_str(), data.size(), counts[0], counts[1], counts[2], tokens.skipped, vocabulary.size());

  o.shape.vocabulary = static_cast<std::int64_t>(vocabulary.size());
  o.train.checkpoint = o.output + ".ckpt";
  o.train.max_seconds = o.max_minutes * 60;
  o.train.threads = static_cast<int>(o.jobs);
  std::string vocab_text;
  for (const std::string& t : vocabulary.tokens()) vocab_text += t + "\n";
  // The checkpoint resumes only the same training: data, vocabulary, shape, options.
  o.train.config = "train v1 labels=" + fingerprint_of(read_file(o.labels)) + " vocabulary=" +
                   fingerprint_of(vocab_text) + " width=" + std::to_string(o.shape.width) +
                   " depth=" + std::to_string(o.shape.depth) + " batch=" + std::to_string(o.train.batch_size) +
                   " lr=" + std::to_string(o.train.learning_rate) + " seed=" + std::to_string(o.train.seed) +
                   " threads=" + std::to_string(o.train.threads);
  torch::manual_seed(o.train.seed);
  nn::HierarchicalLstm model(o.shape);
  install_interrupt_handler();
  nn::TrainResult r = nn::train(model, data, o.train, std::cerr, [] { return interrupted.load(); });
  if (r.interrupted) {
    std::cerr << "surrogate train: interrupted; run the same command again to resume from " << o.train.checkpoint
              << "\n";
    return 130;
  }
  std::vector<const EncodedBlock*> test;
  for (const EncodedBlock& b : data)
    if (b.split == Split::kTest) test.push_back(&b);
  std::fprintf(stderr, "best epoch %d: validation MAPE %.2f%%; test MAPE %.2f%% on %zu blocks\n", r.best_epoch,
               100 * r.best_validation_mape, 100 * nn::evaluate_mape(model, test), test.size());
  // The training log: one row per epoch.
  std::string log = "epoch,train_mape,validation_mape,learning_rate,seconds,blocks_per_second\n";
  for (const nn::EpochRecord& e : r.epochs) {
    char row[160];
    std::snprintf(row, sizeof row, "%d,%.5f,%.5f,%.3g,%.2f,%.0f\n", e.epoch, e.train_mape, e.validation_mape,
                  e.learning_rate, e.seconds, e.blocks_per_second);
    log += row;
  }
  write_file_atomically(o.output + ".log.csv", log);
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train a hierarchical-LSTM surrogate (Ithemal's, as in Renda et al.) on a label set from 'surrogate label' "
      "or a CSV hex,throughput: 80/10/10 split by block hash, Adam, MAPE loss, learning rate halved when validation "
      "MAPE stalls, early stopping. Writes OUT.ckpt (resumable: run the same command again after an interruption) "
      "and OUT.log.csv.");
  sub->add_option("--labels", o->labels, "label set (binary store or CSV)")->required();
  sub->add_option("-o,--output", o->output, "output prefix")->required();
  sub->add_option("--width", o->shape.width, "embedding and hidden width")->default_val(32)->check(CLI::Range(1, 1024));
  sub->add_option("--depth", o->shape.depth, "instruction LSTM layers")->default_val(1)->check(CLI::Range(1, 8));
  sub->add_option("--epochs", o->train.max_epochs, "maximum epochs")->default_val(o->train.max_epochs);
  sub->add_option("--batch", o->train.batch_size, "blocks per mini-batch")->default_val(o->train.batch_size);
  sub->add_option("--lr", o->train.learning_rate, "initial learning rate (Adam)")->default_val(o->train.learning_rate);
  sub->add_option("--patience", o->train.patience, "epochs without improvement before stopping")
      ->default_val(o->train.patience);
  sub->add_option("--seed", o->train.seed, "seed of initialisation and shuffling")->default_val(o->train.seed);
  sub->add_option("--max-minutes", o->max_minutes, "stop at the end of the epoch that passes this budget (0: none)");
  sub->add_option("-j,--jobs", o->jobs, "threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
