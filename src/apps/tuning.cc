#include "apps/tuning.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "apps/coordinate_search.h"
#include "apps/measured_host.h"
#include "apps/table_samples.h"
#include "block/decoder.h"
#include "dataset/held_out_programs.h"
#include "dataset/label_store.h"
#include "dataset/split.h"
#include "mca/cpu_params_json.h"
#include "mca/parameter_vector.h"
#include "util/atomic_file.h"
#include "util/result_journal.h"

namespace surrogate::apps {
namespace {

// Share of --max-minutes kept for the report after the search (its
// leave-one-out simulations took ~2.5% of a 20-minute run).
constexpr double kReportShare = 0.05;
// Fewest training blocks a tuning can stand on.
constexpr std::size_t kMinTrainBlocks = 50;
// A global field's penalty per unit is this many times the per-opcode one
// divided by LLVM's value: a 10% change of a global costs one unit.
constexpr double kGlobalPenaltyPerRelativeChange = 10;

std::string percent(double x) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f%%", 100 * x);
  return s;
}

std::string fixed(double x, int digits) {
  char s[32];
  std::snprintf(s, sizeof s, "%.*f", digits, x);
  return s;
}

}  // namespace

TuneResult tune(const TuneOptions& o, std::ostream& log, const std::function<bool()>& cancel,
                const std::map<std::string, SearchMethod>& methods) {
  if (o.method != "coordinate" && o.method != "nlopt" && !methods.count(o.method)) {
    std::string known = "coordinate, nlopt";
    for (const auto& [name, method] : methods) known += ", " + name;
    throw std::runtime_error("unknown method '" + o.method + "' (this build has: " + known + ")");
  }
  if (o.output.size() < 6 || o.output.substr(o.output.size() - 5) != ".json")
    throw std::runtime_error(o.output + ": the tuned parameters' name must end in .json");
  util::refuse_output_over_input(o.output, {o.measured});
  const auto began = std::chrono::steady_clock::now();
  const mca::CpuParams stock = mca::CpuParams::stock(o.cpu);
  const unsigned jobs = std::max(1u, o.jobs);
  TuneResult r;
  r.host = measured_host(o.measured);
  const std::string measured_bytes = util::read_file(o.measured);
  dataset::LabelSet labels = dataset::parse_labels(measured_bytes, o.measured);
  for (const util::RowError& e : labels.unreadable_rows) log << e.message << " (row left out)\n";
  r.measured_blocks = labels.blocks.size();

  // The sample: measured, not of a held-out program, at most max_blocks.
  std::vector<const dataset::LabelledBlock*> rows;
  for (const dataset::LabelledBlock& b : labels.blocks) {
    if (dataset::from_held_out_program(b.source)) {
      ++r.held_out_left_out;
      continue;
    }
    if (b.labelled() && b.throughput > 0) rows.push_back(&b);
  }
  if (o.max_blocks && rows.size() > o.max_blocks) {
    std::vector<std::pair<std::uint64_t, std::size_t>> keyed;
    for (std::size_t i = 0; i < rows.size(); ++i) keyed.push_back({dataset::sample_key(rows[i]->bytes), i});
    std::sort(keyed.begin(), keyed.end());
    keyed.resize(o.max_blocks);
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    std::vector<const dataset::LabelledBlock*> sample;
    for (const auto& [key, i] : keyed) sample.push_back(rows[i]);
    rows = std::move(sample);
  }

  // Decoded, simulable under LLVM's values, split.
  block::Decoder decoder;
  std::vector<block::BasicBlock> decoded;
  std::vector<double> measured;
  for (const dataset::LabelledBlock* b : rows) {
    try {
      block::BasicBlock bb = decoder.decode_block(b->bytes, o.measured, {}, nullptr);
      if (bb.instructions.empty()) throw std::runtime_error("empty");
      decoded.push_back(std::move(bb));
      measured.push_back(b->throughput);
    } catch (const std::exception&) {
      ++r.unusable;
    }
  }
  const std::vector<double> stock_cycles = simulate_all(stock, decoded, jobs);
  BlockSet train, validation, test;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (std::isnan(stock_cycles[i])) {
      ++r.unusable;
      continue;
    }
    const dataset::Split split = dataset::split_of(decoded[i].bytes);
    BlockSet& set = split == dataset::Split::kTrain ? train : split == dataset::Split::kValidation ? validation : test;
    set.blocks.push_back(std::move(decoded[i]));
    set.measured.push_back(measured[i]);
  }
  r.train_blocks = train.blocks.size();
  r.validation_blocks = validation.blocks.size();
  r.test_blocks = test.blocks.size();
  if (r.train_blocks < kMinTrainBlocks)
    throw std::runtime_error(o.measured + ": " + std::to_string(r.train_blocks) +
                             " measured training blocks; tuning needs at least " + std::to_string(kMinTrainBlocks));

  if (r.held_out_left_out)
    log << o.measured << ": " << r.held_out_left_out
        << " blocks of held-out programs (openssl, sqlite, redis) left out of tuning\n";
  log << o.measured << ": " << rows.size() << " measured blocks drawn (" << r.train_blocks << " train, "
      << r.validation_blocks << " validation, " << r.test_blocks << " test; " << r.unusable
      << " not decodable or not simulable under " << o.cpu << ")\n";

  // The fields: the opcodes the training blocks use often enough, and the globals.
  const std::set<unsigned> tuned = supported_opcodes(stock, train.blocks, o.min_support);
  r.tuned_opcodes = tuned.size();
  // The search simulates under a table of only the opcodes of the blocks:
  // the same cycles, and a Simulator 7.7x cheaper to build (cpu_params.h).
  std::set<unsigned> used;
  for (const BlockSet* set : {&train, &validation, &test}) used.merge(opcodes_of(set->blocks));
  const mca::CpuParams small = stock.only_opcodes(used);
  mca::LayoutOptions layout_options;
  layout_options.classes = false;
  layout_options.opcodes = tuned;
  const mca::ParameterLayout layout(small, layout_options);
  r.fields = layout.size();
  const std::vector<double> start = layout.values(stock);
  SearchProblem problem;
  problem.stock = &small;
  problem.layout = &layout;
  problem.train = &train;
  problem.validation = &validation;
  problem.affected = blocks_per_field(layout, train.blocks);
  for (std::size_t i = 0; i < layout.size(); ++i)
    problem.weight.push_back(layout.fields()[i].kind == mca::ParameterField::Kind::kGlobal
                                 ? o.penalty * kGlobalPenaltyPerRelativeChange / std::max(1.0, start[i])
                                 : o.penalty);
  log << "surrogate tune: " << o.cpu << ", " << r.tuned_opcodes << " opcodes in at least " << o.min_support
      << " training blocks, " << r.fields << " fields (" << layout.fingerprint() << ")\n";

  SearchOptions search;
  search.max_sweeps = o.max_sweeps;
  search.budget_simulations = o.budget_simulations;
  // The whole command keeps to max_seconds: the search gets what reading
  // the data left, less a share for the report's simulations after it.
  if (o.max_seconds > 0)
    search.max_seconds =
        std::max(1.0, o.max_seconds * (1 - kReportShare) -
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  search.jobs = jobs;
  search.state_path = o.output + ".state";
  search.fingerprint = "tune v1 " + o.method + " measured=" + util::fingerprint_of(measured_bytes) + " cpu=" + o.cpu +
                       " layout=" + layout.fingerprint() + " max_blocks=" + std::to_string(o.max_blocks) +
                       " min_support=" + std::to_string(o.min_support) + " penalty=" + fixed(o.penalty, 6) +
                       " max_sweeps=" + std::to_string(o.max_sweeps) +
                       " budget=" + std::to_string(o.budget_simulations);
  const SearchResult s = o.method == "coordinate" ? coordinate_search(problem, search, log, cancel)
                         : o.method == "nlopt"    ? nlopt_search(problem, search, o.nlopt, log, cancel)
                                                  : methods.at(o.method)(problem, search, log, cancel);
  r.method_summary = s.summary;
  r.simulations = s.simulations;
  r.sweeps = s.sweeps;
  r.moves = s.moves;
  r.seconds = s.seconds;
  r.stop_reason = s.stop_reason;
  r.validation_llvm = s.validation_stock;
  r.validation_tuned = s.validation_final;
  if (s.interrupted) {
    r.interrupted = true;
    return r;
  }

  const mca::CpuParams tuned_params = layout.apply(stock, s.values);
  r.train_llvm = dataset::summarize_errors(s.train_stock, train.measured);
  r.train_tuned = dataset::summarize_errors(s.train_final, train.measured);
  if (!test.blocks.empty()) {
    r.test_llvm = dataset::summarize_errors(simulate_all(stock, test.blocks, jobs), test.measured);
    r.test_tuned = dataset::summarize_errors(simulate_all(tuned_params, test.blocks, jobs), test.measured);
  }
  for (std::size_t i = 0; i < layout.size(); ++i) {
    if (s.values[i] == start[i]) continue;
    const std::vector<std::uint32_t>& affected = problem.affected[i];
    const std::vector<std::uint32_t>* rows = affected.empty() ? nullptr : &affected;  // empty: a global, every block
    std::vector<double> without = s.values;
    without[i] = start[i];
    std::vector<double> predicted = s.train_final;
    if (affected.empty()) {
      predicted = simulate_all(layout.apply(small, without), train.blocks, jobs);
    } else {
      std::vector<block::BasicBlock> some;
      for (std::uint32_t b : affected) some.push_back(train.blocks[b]);
      const std::vector<double> p = simulate_all(layout.apply(small, without), some, jobs);
      for (std::size_t k = 0; k < affected.size(); ++k) predicted[affected[k]] = p[k];
    }
    r.changes.push_back({layout.fields()[i].name, static_cast<long long>(start[i]), static_cast<long long>(s.values[i]),
                         affected.empty() ? train.blocks.size() : affected.size(),
                         mean_relative_error(s.train_stock, train, rows),
                         mean_relative_error(s.train_final, train, rows), mean_relative_error(predicted, train, rows)});
  }
  std::stable_sort(r.changes.begin(), r.changes.end(), [](const ParameterChange& a, const ParameterChange& b) {
    return (a.error_without - a.error_tuned) * static_cast<double>(a.support) >
           (b.error_without - b.error_tuned) * static_cast<double>(b.support);
  });

  std::ostringstream report;
  write_tune_report(report, o, r);
  util::write_file_atomically(o.output, mca::params_changes_to_json(tuned_params, stock));
  const std::string report_path = o.output.substr(0, o.output.size() - 5) + ".report.md";
  util::write_file_atomically(report_path, report.str());
  std::error_code ignored;
  std::filesystem::remove(search.state_path, ignored);
  return r;
}

void write_tune_report(std::ostream& out, const TuneOptions& o, const TuneResult& r) {
  out << "# surrogate tune: " << o.cpu << " fitted to " << o.measured << "\n\n";
  out << "Host: " << (r.host.empty() ? "(not named: no .meta.json)" : r.host) << ". Method: " << o.method
      << (o.method == "gradient" ? " (through a surrogate, judged by the simulator)" : " (on the real simulator)")
      << ", penalty " << fixed(o.penalty, 3) << ", " << r.sweeps
      << (o.method == "coordinate" ? " sweeps, "
          : o.method == "gradient" ? " epochs, "
                                   : " evaluations, ")
      << r.moves << " moves, stopped: " << r.stop_reason << "; " << r.simulations << " block simulations"
      << (o.method == "gradient" ? " (all of them, the surrogate's data included)" : "") << ", " << fixed(r.seconds, 1)
      << " s.\n\n";
  if (!r.method_summary.empty()) out << r.method_summary << ".\n\n";
  out << r.measured_blocks << " measured blocks; " << r.held_out_left_out << " of held-out programs left out; "
      << r.unusable << " not decodable or not simulable; split " << r.train_blocks << " train / " << r.validation_blocks
      << " validation / " << r.test_blocks << " test. Tuned: " << r.tuned_opcodes << " opcodes in at least "
      << o.min_support << " training blocks, " << r.fields
      << " fields (globals included); every other opcode keeps LLVM's values.\n\n";
  out << "| split | blocks | LLVM MAPE | tuned MAPE | LLVM tau | tuned tau |\n|:--|--:|--:|--:|--:|--:|\n";
  out << "| train (fitted on) | " << r.train_blocks << " | " << percent(r.train_llvm.mape) << " | "
      << percent(r.train_tuned.mape) << " | " << fixed(r.train_llvm.kendall_tau, 3) << " | "
      << fixed(r.train_tuned.kendall_tau, 3) << " |\n";
  out << "| validation (chose the sweep) | " << r.validation_blocks << " | " << percent(r.validation_llvm) << " | "
      << percent(r.validation_tuned) << " | | |\n";
  out << "| **test (unused until now)** | " << r.test_blocks << " | " << percent(r.test_llvm.mape) << " | "
      << percent(r.test_tuned.mape) << " | " << fixed(r.test_llvm.kendall_tau, 3) << " | "
      << fixed(r.test_tuned.kendall_tau, 3) << " |\n\n";
  out << r.changes.size() << " fields changed. The 30 worth the most (error: mean relative error over the "
      << "training blocks the field affects, under LLVM's values, under the tuned values, and under the tuned "
      << "values with this one field put back to LLVM's):\n\n";
  out << "| field | LLVM | tuned | blocks | error LLVM | error tuned | tuned without it |\n"
      << "|:--|--:|--:|--:|--:|--:|--:|\n";
  for (std::size_t i = 0; i < r.changes.size() && i < 30; ++i) {
    const ParameterChange& c = r.changes[i];
    out << "| `" << c.field << "` | " << c.llvm << " | " << c.tuned << " | " << c.support << " | "
        << percent(c.error_llvm) << " | " << percent(c.error_tuned) << " | " << percent(c.error_without) << " |\n";
  }
  bool any_global = false;
  for (const ParameterChange& c : r.changes)
    if (c.field.rfind("global.", 0) == 0) {
      if (!any_global) out << "\nGlobal parameters changed:\n\n";
      any_global = true;
      out << "- `" << c.field << "`: " << c.llvm << " -> " << c.tuned << "\n";
    }
  if (!any_global) out << "\nNo global parameter changed.\n";
}

}  // namespace surrogate::apps
