#include "cli/evaluate_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <unordered_map>

#include "block/block_category.h"
#include "block/block_reader.h"
#include "dataset/metrics.h"
#include "dataset/source_family.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string labels;
  std::string predictions;
  std::string sources;  // BHive CSV with a `sources` column, for the per-application table
  std::string title = "predictions";
};

// hex -> throughput of every block of `path` that has one.
std::unordered_map<std::string, double> throughputs(const BlockFile& file) {
  std::unordered_map<std::string, double> out;
  for (const BasicBlock& b : file.blocks)
    if (b.throughput) out.emplace(b.hex(), *b.throughput);
  return out;
}

void print_row(const std::string& name, const ErrorSummary& s) {
  std::printf("| %-14s | %7zu | %6.2f%% | %6.3f | %6.2f%% | %6.2f%% | %6.2f%% | %5.1f%% | %8.1f | %8.1f |\n", name.c_str(),
              s.blocks, 100 * s.mape, s.kendall_tau, 100 * s.p50, 100 * s.p90, 100 * s.p99, 100 * s.within_10,
              s.mean_predicted, s.mean_true);
}

void print_table(const std::string& by, const std::map<std::string, ErrorSummary>& rows) {
  std::printf("\n| %-14s | blocks  | MAPE    | tau    | p50     | p90     | p99     | <=10%%  | mean pred | mean true |\n",
              by.c_str());
  std::printf("|:---------------|--------:|--------:|-------:|--------:|--------:|--------:|-------:|---------:|---------:|\n");
  for (const auto& [name, s] : rows) print_row(name, s);
}

int run(const Options& o) {
  BlockFile labels = read_block_file(o.labels);
  BlockFile predicted_file = read_block_file(o.predictions);
  std::unordered_map<std::string, double> predicted = throughputs(predicted_file);
  std::unordered_map<std::string, std::string> family;
  if (!o.sources.empty()) {
    BlockFile sources = read_block_file(o.sources);
    size_t column = 0;
    while (column < sources.extra_column_names.size() && sources.extra_column_names[column] != "sources") ++column;
    if (column == sources.extra_column_names.size())
      throw std::runtime_error(o.sources + ":1: no 'sources' column in the header");
    for (const BasicBlock& b : sources.blocks) family.emplace(b.hex(), source_family(b.extra_columns[column]));
  }

  std::vector<double> pred, truth;
  std::vector<std::string> by_source, by_length, by_kind;
  size_t unlabelled = 0, unpredicted = 0, zero = 0;
  for (const BasicBlock& b : labels.blocks) {
    if (!b.throughput) {
      ++unlabelled;
      continue;
    }
    if (*b.throughput <= 0) {
      ++zero;
      continue;
    }
    std::string hex = b.hex();
    auto p = predicted.find(hex);
    if (p == predicted.end()) {
      ++unpredicted;
      continue;
    }
    pred.push_back(p->second);
    truth.push_back(*b.throughput);
    auto f = family.find(hex);
    by_source.push_back(f == family.end() ? "(unknown)" : f->second);
    by_length.push_back(block_length_bucket(b));
    by_kind.push_back(block_category(b));
  }
  if (truth.empty()) throw std::runtime_error(o.labels + ": no block has both a label and a prediction");

  std::printf("%s vs %s: %zu blocks compared", o.predictions.c_str(), o.labels.c_str(), truth.size());
  std::printf(" (skipped: %zu unlabelled, %zu labelled 0, %zu without a prediction)\n", unlabelled, zero, unpredicted);
  std::printf("MAPE, p50/p90/p99: relative error |pred - true| / true; tau: Kendall's tau-b; means in cycles per 100 "
              "iterations\n");
  print_table("all", {{o.title, summarize_errors(pred, truth)}});
  print_table("block kind", summarize_errors_by(pred, truth, by_kind));
  print_table("instructions", summarize_errors_by(pred, truth, by_length));
  if (!family.empty()) print_table("application", summarize_errors_by(pred, truth, by_source));
  return 0;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "evaluate",
      "Accuracy of predicted throughputs against true ones (e.g. llvm-mca's or a surrogate's against measured): "
      "MAPE, Kendall's tau, error percentiles, overall and per block kind, length and source application. "
      "Blocks are matched by their bytes; Markdown tables on standard output.");
  sub->add_option("--labels", o->labels, "true throughputs: CSV hex,throughput (blocks without one are skipped)")
      ->required();
  sub->add_option("--predictions", o->predictions, "predicted throughputs: CSV hex,throughput")->required();
  sub->add_option("--sources", o->sources,
                  "BHive CSV with a 'sources' column (e.g. ../shared/data/bhive-blocks.csv): adds a per-application "
                  "table");
  sub->add_option("--title", o->title, "name of the predictions in the table");
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
