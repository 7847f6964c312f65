// Evaluation: predicted throughputs joined to true ones and summarised with
// the paper's metrics (metrics.h) overall and per block kind, length and
// source application, as Markdown tables and PNG plots (gnuplot).
//
// What `surrogate evaluate` prints, and what adapt, tune and compile call to
// judge a model or a parameter set. Predictions given as a file are joined to
// the labelled rows by identity (join_predictions); a labelled row is skipped
// (and counted) when it has no positive label, does not decode, or has no
// prediction. Throughputs: cycles per 100 iterations.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "block/basic_block.h"
#include "dataset/label_store.h"
#include "dataset/metrics.h"

namespace surrogate::dataset {

struct Evaluation {
  // One entry per joined row, in label order.
  std::vector<double> predicted, truth;
  std::vector<std::string> kind, length, source;                 // block_category, block_length_bucket, source family
  std::vector<std::string> hex;                                  // the block's machine code
  std::size_t unlabelled = 0, undecodable = 0, unpredicted = 0;  // rows skipped, by reason
  std::size_t unreadable = 0;  // rows of either file that could not be read (the caller counts them)
  bool any_source = false;                                       // some row has a source application
  std::string join;  // how rows were matched to predictions, for the report; empty: not said

  ErrorSummary overall() const { return summarize_errors(predicted, truth); }
  std::map<std::string, ErrorSummary> by_kind() const { return summarize_errors_by(predicted, truth, kind); }
  std::map<std::string, ErrorSummary> by_length() const { return summarize_errors_by(predicted, truth, length); }
  std::map<std::string, ErrorSummary> by_source() const { return summarize_errors_by(predicted, truth, source); }
};

// The prediction for labelled row `row` (an index into LabelSet::blocks),
// decoded as `block`; nullopt when there is none.
using PredictBlock = std::function<std::optional<double>(const block::BasicBlock& block, std::size_t row)>;

// Joins `labels` (named `labels_name` in messages) to predict(). A row's
// source family comes from `family_by_hex` when it has the block, else from
// the row's own `sources` column. Throws std::runtime_error when no row joins.
Evaluation evaluate(const LabelSet& labels, const std::string& labels_name, const PredictBlock& predict,
                    const std::unordered_map<std::string, std::string>& family_by_hex = {});

// Predictions given as a file (e.g. `simulate` output) for each row of
// `labels`, joined by identity: the row's bytes and the values of the CSV
// columns both files have (`name`, `sources`, ...); the k-th labelled row of
// an identity takes the k-th prediction of it (identical blocks of one input
// told apart by order), or its last. A row whose identity no prediction has
// falls back to the first prediction of its bytes (counted).
struct JoinedPredictions {
  std::vector<std::optional<double>> by_row;  // one per labels.blocks
  std::vector<std::string> identity_columns;  // the shared columns, beside hex
  std::size_t by_bytes_alone = 0;             // rows joined by the fallback
  std::string description() const;            // e.g. "hex, name (2 rows by hex alone)"
};
JoinedPredictions join_predictions(const LabelSet& labels, const LabelSet& predictions);
// Source families of the rows that have a `sources` column, keyed by hex.
std::unordered_map<std::string, std::string> source_families_by_hex(const LabelSet& labels);

// The Markdown report: a header line naming `title` and `labels_name`, then
// the tables (all, block kind, instructions, application when known), the
// largest error and the `worst` blocks by relative error (assembly, true,
// predicted).
void write_evaluation_report(std::ostream& out, const Evaluation& e, const std::string& title,
                             const std::string& labels_name, std::size_t worst = 10);

// PREFIX-scatter.png (predicted vs true, log-log) and PREFIX-errors.png
// (relative error histogram); throws std::runtime_error when gnuplot fails.
void write_evaluation_plots(const std::string& prefix, const std::string& title, const Evaluation& e);

}  // namespace surrogate::dataset
