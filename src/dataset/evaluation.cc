#include "dataset/evaluation.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "block/block_category.h"
#include "block/decoder.h"
#include "dataset/source_family.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/input_error.h"

namespace surrogate {
namespace {

std::string format_row(const std::string& name, const ErrorSummary& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "| %-14s | %7zu | %6.2f%% | %6.3f | %6.2f%% | %6.2f%% | %6.2f%% | %5.1f%% | %8.1f | %8.1f |\n",
                name.c_str(), s.blocks, 100 * s.mape, s.kendall_tau, 100 * s.p50, 100 * s.p90, 100 * s.p99,
                100 * s.within_10, s.mean_predicted, s.mean_true);
  return buf;
}

void write_table(std::ostream& out, const std::string& by, const std::map<std::string, ErrorSummary>& rows) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\n| %-14s | blocks  | MAPE    | tau    | p50     | p90     | p99     | <=10%%  | mean pred | mean true |\n",
                by.c_str());
  out << buf
      << "|:---------------|--------:|--------:|-------:|--------:|--------:|--------:|-------:|---------:|---------:|\n";
  for (const auto& [name, s] : rows) out << format_row(name, s);
}

}  // namespace

Evaluation evaluate(const LabelSet& labels, const std::string& labels_name, const PredictBlock& predict,
                    const std::unordered_map<std::string, std::string>& family_by_hex) {
  Decoder decoder;
  Evaluation e;
  for (std::size_t i = 0; i < labels.blocks.size(); ++i) {
    const LabelledBlock& row = labels.blocks[i];
    if (!row.labelled() || !(row.throughput > 0)) {
      ++e.unlabelled;
      continue;
    }
    BasicBlock block;
    try {
      block = decoder.decode_block(row.bytes, labels_name + ": row " + std::to_string(i + 1), {}, nullptr);
    } catch (const InputError&) {
      ++e.undecodable;
      continue;
    }
    const std::string hex = to_hex(row.bytes);
    std::optional<double> p = predict(block, hex);
    if (!p) {
      ++e.unpredicted;
      continue;
    }
    e.predicted.push_back(*p);
    e.truth.push_back(row.throughput);
    auto f = family_by_hex.find(hex);
    std::string source = f != family_by_hex.end() ? f->second : row.source.empty() ? "" : source_family(row.source);
    e.any_source |= !source.empty();
    e.source.push_back(source.empty() ? "(unknown)" : source);
    e.length.push_back(block_length_bucket(block));
    e.kind.push_back(block_category(block));
  }
  if (e.truth.empty()) throw std::runtime_error(labels_name + ": no block has both a label and a prediction");
  return e;
}

std::unordered_map<std::string, double> predictions_by_hex(const LabelSet& predictions) {
  std::unordered_map<std::string, double> out;
  for (const LabelledBlock& b : predictions.blocks)
    if (b.labelled()) out.emplace(to_hex(b.bytes), b.throughput);
  return out;
}

std::unordered_map<std::string, std::string> source_families_by_hex(const LabelSet& labels) {
  std::unordered_map<std::string, std::string> out;
  for (const LabelledBlock& b : labels.blocks)
    if (!b.source.empty()) out.emplace(to_hex(b.bytes), source_family(b.source));
  return out;
}

void write_evaluation_report(std::ostream& out, const Evaluation& e, const std::string& title,
                             const std::string& labels_name) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s vs %s: %zu blocks compared", title.c_str(), labels_name.c_str(), e.truth.size());
  out << buf;
  std::snprintf(buf, sizeof buf, " (skipped: %zu unlabelled, %zu undecodable, %zu without a prediction)\n",
                e.unlabelled, e.undecodable, e.unpredicted);
  out << buf
      << "MAPE, p50/p90/p99: relative error |pred - true| / true; tau: Kendall's tau-b; means in cycles per 100 "
         "iterations\n";
  write_table(out, "all", {{title, e.overall()}});
  write_table(out, "block kind", e.by_kind());
  write_table(out, "instructions", e.by_length());
  if (e.any_source) write_table(out, "application", e.by_source());
}

void write_evaluation_plots(const std::string& prefix, const std::string& title, const Evaluation& e) {
  const std::vector<double>& pred = e.predicted;
  const std::vector<double>& truth = e.truth;
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


}  // namespace surrogate
