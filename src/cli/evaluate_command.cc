#include "cli/evaluate_command.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unordered_map>

#include "block/block_category.h"
#include "block/decoder.h"
#include "dataset/label_store.h"
#include "dataset/metrics.h"
#include "dataset/source_family.h"
#include "runtime/predictor.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/input_error.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string labels;
  std::string predictions;
  std::string model;
  std::string sources;  // BHive CSV with a `sources` column, for the per-application table
  std::string plots;    // prefix of the PNG plots
  std::string title;
};

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

// Predicted-vs-true scatter (log-log) and relative-error histogram, drawn by gnuplot.
void write_plots(const std::string& prefix, const std::string& title, const std::vector<double>& pred,
                 const std::vector<double>& truth) {
  std::string data = prefix + ".plot-data.tmp", script = prefix + ".plot.tmp";
  {
    std::string rows;
    rows.reserve(pred.size() * 24);
    char line[64];
    for (std::size_t i = 0; i < pred.size(); ++i) {
      std::snprintf(line, sizeof line, "%.6g %.6g %.6g\n", truth[i] / 100, pred[i] / 100,
                    100 * (pred[i] - truth[i]) / truth[i]);
      rows += line;
    }
    write_file_atomically(data, rows);
  }
  std::string quoted_title = title;
  for (char& c : quoted_title)
    if (c == '"') c = '\'';
  write_file_atomically(script,
                        "set terminal pngcairo size 900,800 noenhanced\n"
                        "set output '" + prefix + "-scatter.png'\n"
                        "set title \"" + quoted_title + ": predicted vs true (cycles per iteration)\"\n"
                        "set logscale xy\nset xlabel 'true'\nset ylabel 'predicted'\nset grid\nset key top left\n"
                        "plot '" + data + "' using 1:2 with points pt 7 ps 0.3 lc rgb '#1f77b4' title 'blocks', x with lines lc rgb "
                        "'#d62728' title 'exact'\n"
                        "set output '" + prefix + "-errors.png'\n"
                        "unset logscale\nset title \"" + quoted_title + ": relative error (predicted - true) / true\"\n"
                        "set xlabel 'error [%]'\nset ylabel 'blocks'\nset xrange [-100:100]\nset style fill solid 0.6\n"
                        "bin(x) = 2 * floor(x / 2) + 1\n"
                        "plot '" + data + "' using (bin($3)):(1.0) smooth frequency with boxes lc rgb '#1f77b4' "
                        "notitle\n");
  int rc = std::system(("gnuplot " + script + " 2>&1").c_str());
  std::filesystem::remove(data);
  std::filesystem::remove(script);
  if (rc != 0) throw std::runtime_error("gnuplot failed drawing " + prefix + "-*.png (is gnuplot-nox installed?)");
}

int run(Options o) {
  if (o.predictions.empty() == o.model.empty()) throw std::runtime_error("give exactly one of --predictions or --model");
  LabelSet labels = read_labels(o.labels);
  std::unordered_map<std::string, std::string> family;
  if (!o.sources.empty()) {
    for (const LabelledBlock& b : read_labels(o.sources).blocks)
      if (!b.source.empty()) family.emplace(to_hex(b.bytes), source_family(b.source));
    if (family.empty()) throw std::runtime_error(o.sources + ":1: no 'sources' column with values");
  }
  std::unordered_map<std::string, double> predicted;
  if (!o.predictions.empty())
    for (const LabelledBlock& b : read_labels(o.predictions).blocks)
      if (b.labelled()) predicted.emplace(to_hex(b.bytes), b.throughput);
  std::unique_ptr<runtime::Predictor> model;
  if (!o.model.empty()) model = std::make_unique<runtime::Predictor>(runtime::read_model_file(o.model));
  if (o.title.empty()) o.title = o.model.empty() ? "predictions" : std::filesystem::path(o.model).filename().string();

  Decoder decoder;
  std::vector<double> pred, truth;
  std::vector<std::string> by_source, by_length, by_kind;
  size_t unlabelled = 0, unpredicted = 0, undecodable = 0;
  bool any_source = false;
  for (std::size_t i = 0; i < labels.blocks.size(); ++i) {
    const LabelledBlock& row = labels.blocks[i];
    if (!row.labelled() || !(row.throughput > 0)) {
      ++unlabelled;
      continue;
    }
    BasicBlock block;
    try {
      block = decoder.decode_block(row.bytes, o.labels + ": row " + std::to_string(i + 1), {}, nullptr);
    } catch (const InputError&) {
      ++undecodable;
      continue;
    }
    std::string hex = to_hex(row.bytes);
    double p;
    if (model) {
      p = model->predict(block);
    } else {
      auto it = predicted.find(hex);
      if (it == predicted.end()) {
        ++unpredicted;
        continue;
      }
      p = it->second;
    }
    pred.push_back(p);
    truth.push_back(row.throughput);
    auto f = family.find(hex);
    std::string source = f != family.end() ? f->second : row.source.empty() ? "" : source_family(row.source);
    any_source |= !source.empty();
    by_source.push_back(source.empty() ? "(unknown)" : source);
    by_length.push_back(block_length_bucket(block));
    by_kind.push_back(block_category(block));
  }
  if (truth.empty()) throw std::runtime_error(o.labels + ": no block has both a label and a prediction");

  std::printf("%s vs %s: %zu blocks compared", o.title.c_str(), o.labels.c_str(), truth.size());
  std::printf(" (skipped: %zu unlabelled, %zu undecodable, %zu without a prediction)\n", unlabelled, undecodable,
              unpredicted);
  std::printf("MAPE, p50/p90/p99: relative error |pred - true| / true; tau: Kendall's tau-b; means in cycles per 100 "
              "iterations\n");
  print_table("all", {{o.title, summarize_errors(pred, truth)}});
  print_table("block kind", summarize_errors_by(pred, truth, by_kind));
  print_table("instructions", summarize_errors_by(pred, truth, by_length));
  if (any_source) print_table("application", summarize_errors_by(pred, truth, by_source));
  if (!o.plots.empty()) {
    write_plots(o.plots, o.title, pred, truth);
    std::printf("\nplots: %s-scatter.png, %s-errors.png\n", o.plots.c_str(), o.plots.c_str());
  }
  return 0;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "evaluate",
      "Accuracy of predicted throughputs against true ones (a surrogate model's or llvm-mca's against labels or "
      "measurements): MAPE, Kendall's tau, error percentiles, overall and per block kind, length and source "
      "application; optionally a predicted-vs-true scatter and an error histogram as PNG. Blocks are matched by "
      "their bytes; Markdown tables on standard output.");
  sub->add_option("--labels", o->labels,
                  "true throughputs: label set or CSV hex,throughput (blocks without one are skipped)")
      ->required();
  sub->add_option("--predictions", o->predictions, "predicted throughputs: CSV hex,throughput");
  sub->add_option("--model", o->model, "or: a surrogate model (.srg) to predict the labelled blocks with");
  sub->add_option("--sources", o->sources,
                  "BHive CSV with a 'sources' column (e.g. ../shared/data/bhive-blocks.csv) for the per-application "
                  "table, when the labels have none");
  sub->add_option("--plots", o->plots, "write PREFIX-scatter.png and PREFIX-errors.png (gnuplot)");
  sub->add_option("--title", o->title, "name of the predictions in the tables and plots");
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
