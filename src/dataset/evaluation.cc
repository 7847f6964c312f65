#include "dataset/evaluation.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
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

namespace surrogate::dataset {
namespace {

std::string format_row(const std::string& name, const ErrorSummary& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "| %-14s | %7zu | %6.2f%% | %6.3f | %6.2f%% | %6.2f%% | %6.2f%% | %5.1f%% | %8.1f | %8.1f |\n",
                name.c_str(), s.blocks, 100 * s.mape, s.kendall_tau, 100 * s.p50, 100 * s.p90, 100 * s.p99,
                100 * s.within_10, s.mean_predicted, s.mean_true);
  return buf;
}

void write_table(std::ostream& out, const std::string& by, const std::map<std::string, ErrorSummary>& rows) {
  char buf[256];
  std::snprintf(
      buf, sizeof buf,
      "\n| %-14s | blocks  | MAPE    | tau    | p50     | p90     | p99     | <=10%%  | mean pred | mean true |\n",
      by.c_str());
  out << buf
      << "|:---------------|--------:|--------:|-------:|--------:|--------:|--------:|-------:|---------:|---------:|"
         "\n";
  // Rows in natural order: "1, 2, 3-4, 5-8, 9-16, 17+" by their leading
  // number, names without one alphabetically after them.
  std::vector<const std::string*> names;
  for (const auto& row : rows) names.push_back(&row.first);
  auto leading_number = [](const std::string& n) {
    return !n.empty() && std::isdigit(static_cast<unsigned char>(n[0])) ? std::stol(n) : LONG_MAX;
  };
  std::stable_sort(names.begin(), names.end(),
                   [&](const std::string* a, const std::string* b) { return leading_number(*a) < leading_number(*b); });
  for (const std::string* name : names) out << format_row(*name, rows.at(*name));
}

// `text` as one word for the shell (single quotes).
std::string shell_quoted(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `text` inside a gnuplot single-quoted string ('' is a quote).
std::string gnuplot_quoted(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

// The tail at a glance: the largest relative error and the worst blocks.
void write_worst_blocks(std::ostream& out, const Evaluation& e, std::size_t worst) {
  if (e.truth.empty() || worst == 0) return;
  std::vector<std::size_t> order(e.truth.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto error = [&](std::size_t i) { return std::fabs(e.predicted[i] - e.truth[i]) / e.truth[i]; };
  const std::size_t n = std::min(worst, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&](std::size_t a, std::size_t b) { return error(a) > error(b); });
  char buf[160];
  std::snprintf(buf, sizeof buf, "\nLargest error %.1f%%; the %zu worst blocks (cycles per 100 iterations):\n\n",
                100 * error(order[0]), n);
  out << buf << "| block | true | predicted | error |\n|:---|---:|---:|---:|\n";
  block::Decoder decoder;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = order[k];
    std::string assembly;
    std::size_t at = 0;
    std::string why;
    try {
      const block::BasicBlock b = decoder.decode_block(*util::parse_hex(e.hex[i], &at, &why), "", {}, nullptr);
      for (const llvm::MCInst& inst : b.instructions)
        assembly += (assembly.empty() ? "" : "; ") + block::format_instruction(inst);
    } catch (const std::exception&) {
      assembly = e.hex[i];
    }
    for (char& c : assembly)
      if (c == '|' || c == '\t') c = ' ';
    if (assembly.size() > 120) assembly = assembly.substr(0, 117) + "...";
    std::snprintf(buf, sizeof buf, " | %.1f | %.1f | %+.1f%% |\n", e.truth[i], e.predicted[i],
                  100 * (e.predicted[i] - e.truth[i]) / e.truth[i]);
    out << "| `" << assembly << "`" << buf;
  }
}

}  // namespace

Evaluation evaluate(const LabelSet& labels, const std::string& labels_name, const PredictBlock& predict,
                    const std::unordered_map<std::string, std::string>& family_by_hex) {
  block::Decoder decoder;
  Evaluation e;
  for (std::size_t i = 0; i < labels.blocks.size(); ++i) {
    const LabelledBlock& row = labels.blocks[i];
    if (!row.labelled() || !(row.throughput > 0)) {
      ++e.unlabelled;
      continue;
    }
    block::BasicBlock block;
    try {
      block = decoder.decode_block(row.bytes, labels_name + ": row " + std::to_string(i + 1), {}, nullptr);
    } catch (const util::InputError&) {
      ++e.undecodable;
      continue;
    }
    const std::string hex = util::to_hex(row.bytes);
    std::optional<double> p = predict(block, i);
    if (!p) {
      ++e.unpredicted;
      continue;
    }
    e.predicted.push_back(*p);
    e.truth.push_back(row.throughput);
    e.hex.push_back(hex);
    auto f = family_by_hex.find(hex);
    std::string source = f != family_by_hex.end() ? f->second : row.source.empty() ? "" : source_family(row.source);
    e.any_source |= !source.empty();
    e.source.push_back(source.empty() ? "(unknown)" : source);
    e.length.push_back(block::block_length_bucket(block));
    e.kind.push_back(block::block_category(block));
  }
  if (e.truth.empty()) throw std::runtime_error(labels_name + ": no block has both a label and a prediction");
  return e;
}

JoinedPredictions join_predictions(const LabelSet& labels, const LabelSet& predictions) {
  JoinedPredictions out;
  std::vector<std::size_t> label_cols, prediction_cols;  // the shared columns' positions in each file
  for (std::size_t c = 0; c < labels.column_names.size(); ++c) {
    const std::string& name = labels.column_names[c];
    auto it = std::find(predictions.column_names.begin(), predictions.column_names.end(), name);
    if (name.empty() || it == predictions.column_names.end()) continue;
    out.identity_columns.push_back(name);
    label_cols.push_back(c);
    prediction_cols.push_back(static_cast<std::size_t>(it - predictions.column_names.begin()));
  }
  auto identity = [](const LabelledBlock& b, const std::vector<std::size_t>& cols) {
    std::string key = util::to_hex(b.bytes);
    for (std::size_t c : cols) {
      key += '\x1f';  // unit separator: in no hex and no CSV cell we write
      if (c < b.columns.size()) key += b.columns[c];
    }
    return key;
  };
  // Every prediction row in its place, with or without a value, so the k-th
  // rows of an identity stay paired when one of them has none.
  std::unordered_map<std::string, std::vector<std::optional<double>>> by_identity;
  std::unordered_map<std::string, double> by_bytes;
  for (const LabelledBlock& b : predictions.blocks) {
    by_identity[identity(b, prediction_cols)].push_back(b.labelled() ? std::optional<double>(b.throughput)
                                                                     : std::nullopt);
    if (b.labelled()) by_bytes.emplace(util::to_hex(b.bytes), b.throughput);
  }
  std::unordered_map<std::string, std::size_t> seen;  // labelled rows of each identity so far
  out.by_row.resize(labels.blocks.size());
  for (std::size_t i = 0; i < labels.blocks.size(); ++i) {
    const std::string key = identity(labels.blocks[i], label_cols);
    const std::size_t k = seen[key]++;
    if (auto it = by_identity.find(key); it != by_identity.end()) {
      out.by_row[i] = it->second[std::min(k, it->second.size() - 1)];
    } else if (auto b = by_bytes.find(util::to_hex(labels.blocks[i].bytes)); b != by_bytes.end()) {
      out.by_row[i] = b->second;
      out.by_bytes_alone += !out.identity_columns.empty();
    }
  }
  return out;
}

std::string JoinedPredictions::description() const {
  std::string s = "hex";
  for (const std::string& c : identity_columns) s += ", " + c;
  if (by_bytes_alone)
    s += " (" + std::to_string(by_bytes_alone) + (by_bytes_alone == 1 ? " row" : " rows") + " by hex alone)";
  return s;
}

std::unordered_map<std::string, std::string> source_families_by_hex(const LabelSet& labels) {
  std::unordered_map<std::string, std::string> out;
  for (const LabelledBlock& b : labels.blocks)
    if (!b.source.empty()) out.emplace(util::to_hex(b.bytes), source_family(b.source));
  return out;
}

void write_evaluation_report(std::ostream& out, const Evaluation& e, const std::string& title,
                             const std::string& labels_name, std::size_t worst) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s vs %s: %zu blocks compared", title.c_str(), labels_name.c_str(), e.truth.size());
  out << buf;
  std::snprintf(buf, sizeof buf, " (skipped: %zu unlabelled, %zu undecodable, %zu without a prediction", e.unlabelled,
                e.undecodable, e.unpredicted);
  out << buf;
  if (e.unreadable) out << ", " << e.unreadable << " unreadable";
  out << ")\n";
  if (!e.join.empty()) out << "rows matched by " << e.join << "\n";
  out << "MAPE, p50/p90/p99: relative error |pred - true| / true; tau: Kendall's tau-b; means in cycles per 100 "
         "iterations\n";
  write_table(out, "all", {{title, e.overall()}});
  write_table(out, "block kind", e.by_kind());
  write_table(out, "instructions", e.by_length());
  if (e.any_source) write_table(out, "application", e.by_source());
  write_worst_blocks(out, e, worst);
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
    util::write_file_atomically(data, rows);
  }
  std::string quoted_title = title;
  for (char& c : quoted_title)
    if (c == '"') c = '\'';
  // The histogram spans -100% (nothing is faster than free) to the 99th
  // percentile of the errors or +100%, whichever is more; blocks beyond it
  // are counted in its last bin, and the title says how many.
  std::vector<double> errors;
  errors.reserve(pred.size());
  for (std::size_t i = 0; i < pred.size(); ++i) errors.push_back(100 * (pred[i] - truth[i]) / truth[i]);
  std::vector<double> sorted = errors;
  std::sort(sorted.begin(), sorted.end());
  const double p99 = sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
  const double upper = std::max(100.0, 50 * std::ceil(p99 / 50));
  const double bin = upper <= 100 ? 2 : upper / 100;
  const std::size_t beyond =
      static_cast<std::size_t>(std::count_if(errors.begin(), errors.end(), [&](double x) { return x > upper; }));
  const ErrorSummary all = e.overall();
  char stats[160];
  std::snprintf(stats, sizeof stats, "n = %zu, MAPE %.2f%%, Kendall tau %.3f", all.blocks, 100 * all.mape,
                all.kendall_tau);
  char range[256];
  std::snprintf(range, sizeof range, "set xrange [-100:%g]\nbin(x) = %g * floor((x > %g ? %g : x) / %g) + %g\n",
                upper + bin, bin, upper, upper, bin, bin / 2);
  const std::string beyond_note = beyond ? " (" + std::to_string(beyond) + " blocks above +" +
                                               std::to_string(static_cast<long>(upper)) + "% in the last bin)"
                                         : "";
  util::write_file_atomically(
      script,
      "set terminal pngcairo size 900,800 noenhanced\n"
      "set output " +
          gnuplot_quoted(prefix + "-scatter.png") +
          "\n"
          "set title \"" +
          quoted_title + ": predicted vs true throughput\\n" + stats +
          "\"\n"
          "set logscale xy\nset xlabel 'true (cycles per iteration)'\nset ylabel 'predicted (cycles per iteration)'\n"
          "set grid\nset key top left\n"
          "plot " +
          gnuplot_quoted(data) +
          " using 1:2 with points pt 7 ps 0.4 lc rgb '#C01f77b4' title 'blocks', "
          "x with lines lc rgb '#d62728' title 'exact'\n"
          "set output " +
          gnuplot_quoted(prefix + "-errors.png") +
          "\n"
          "unset logscale\nset title \"" +
          quoted_title + ": relative error (predicted - true) / true\\n" + stats + beyond_note +
          "\"\n"
          "set xlabel 'error [%]'\nset ylabel 'blocks'\n" +
          range +
          "set style fill solid 0.6\n"
          "plot " +
          gnuplot_quoted(data) +
          " using (bin($3)):(1.0) smooth frequency with boxes lc rgb '#1f77b4' "
          "notitle\n");
  // gnuplot's messages go to stderr, not into the tables on stdout.
  int rc = std::system(("gnuplot " + shell_quoted(script) + " 1>&2").c_str());
  std::filesystem::remove(data);
  std::filesystem::remove(script);
  if (rc != 0) throw std::runtime_error("gnuplot failed drawing " + prefix + "-*.png (is gnuplot-nox installed?)");
}

}  // namespace surrogate::dataset
