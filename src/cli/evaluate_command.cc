#include "cli/evaluate_command.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unordered_map>

#include "dataset/evaluation.h"
#include "dataset/label_store.h"
#include "runtime/predictor.h"

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

int run(Options o) {
  if (o.predictions.empty() == o.model.empty())
    throw std::runtime_error("give exactly one of --predictions or --model");
  // A plot that cannot be written is a bad whole input: said before any table is printed.
  const std::filesystem::path plot_dir = std::filesystem::path(o.plots).parent_path();
  if (!o.plots.empty() && !plot_dir.empty() && !std::filesystem::is_directory(plot_dir))
    throw std::runtime_error("--plots " + o.plots + ": no directory " + plot_dir.string());
  dataset::LabelSet labels = dataset::read_labels(o.labels);
  std::vector<util::RowError> unreadable = labels.unreadable_rows;  // rows of either file that could not be read
  std::unordered_map<std::string, std::string> family;
  if (!o.sources.empty()) {
    family = dataset::source_families_by_hex(dataset::read_labels(o.sources));
    if (family.empty()) throw std::runtime_error(o.sources + ":1: no 'sources' column with values");
  }
  dataset::PredictBlock predict;
  dataset::JoinedPredictions joined;
  std::unique_ptr<runtime::Predictor> model;
  if (!o.predictions.empty()) {
    dataset::LabelSet predictions = dataset::read_labels(o.predictions);
    unreadable.insert(unreadable.end(), predictions.unreadable_rows.begin(), predictions.unreadable_rows.end());
    joined = dataset::join_predictions(labels, predictions);
    predict = [&](const block::BasicBlock&, std::size_t row) { return joined.by_row[row]; };
  } else {
    model = std::make_unique<runtime::Predictor>(runtime::read_model_file(o.model));
    predict = [&](const block::BasicBlock& block, std::size_t) -> std::optional<double> {
      return model->predict(block);
    };
  }
  if (o.title.empty()) o.title = o.model.empty() ? "predictions" : std::filesystem::path(o.model).filename().string();

  dataset::Evaluation e = dataset::evaluate(labels, o.labels, predict, family);
  if (!o.predictions.empty()) e.join = joined.description();
  e.unreadable = unreadable.size();
  dataset::write_evaluation_report(std::cout, e, o.title, o.labels);
  if (!o.plots.empty()) {
    dataset::write_evaluation_plots(o.plots, o.title, e);
    std::cout << "\nplots: " << o.plots << "-scatter.png, " << o.plots << "-errors.png\n";
  }
  for (const util::RowError& e : unreadable) std::cerr << e.message << '\n';
  if (!unreadable.empty())
    std::cerr << "surrogate evaluate: " << unreadable.size() << " rows could not be read and were left out\n";
  return unreadable.empty() ? 0 : 1;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "evaluate",
      "Accuracy of predicted throughputs against true ones (a surrogate model's or llvm-mca's against labels or "
      "measurements): MAPE, Kendall's tau, error percentiles, overall and per block kind, length and source "
      "application; optionally a predicted-vs-true scatter and an error histogram as PNG. Rows are matched by "
      "identity: hex plus the columns both files have (name, sources, ...), identical rows in order; Markdown "
      "tables on standard output.");
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
