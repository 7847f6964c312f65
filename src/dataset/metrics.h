// Accuracy of predicted throughputs against true ones (the paper's metrics).
//
// Relative error of one block: |predicted - true| / true (true > 0). MAPE is
// its mean; Kendall's tau-b (with ties) measures how well the ranking of
// blocks is kept, which is what a compiler comparing code variants needs.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace surrogate::dataset {

struct ErrorSummary {
  std::size_t blocks = 0;
  double mape = 0;                           // mean relative error (0.05 = 5%)
  double kendall_tau = 0;                    // tau-b in [-1, 1]; 0 when undefined (fewer than 2 blocks, all tied)
  double p50 = 0, p90 = 0, p99 = 0;          // relative error percentiles
  double within_5 = 0, within_10 = 0;        // share of blocks with relative error <= 5% / 10%
  double mean_predicted = 0, mean_true = 0;  // cycles per 100 iterations
};

// Both vectors have the same length; every true value is > 0.
ErrorSummary summarize_errors(const std::vector<double>& predicted, const std::vector<double>& truth);

// Kendall's tau-b in O(n log n) (Knight's algorithm); ties in either vector are handled.
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);

// Summaries per group (e.g. source application, block length), keyed by the
// group's name; group[i] names the group of block i.
std::map<std::string, ErrorSummary> summarize_errors_by(const std::vector<double>& predicted,
                                                        const std::vector<double>& truth,
                                                        const std::vector<std::string>& group);

}  // namespace surrogate::dataset
