#include "dataset/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>

namespace surrogate::dataset {
namespace {

// Number of tied pairs over runs of equal values in a sorted range.
template <typename It, typename Eq>
std::uint64_t tied_pairs(It begin, It end, Eq eq) {
  std::uint64_t pairs = 0;
  for (It run = begin; run != end;) {
    It next = run + 1;
    while (next != end && eq(*run, *next)) ++next;
    std::uint64_t t = static_cast<std::uint64_t>(next - run);
    pairs += t * (t - 1) / 2;
    run = next;
  }
  return pairs;
}

// Sorts v[lo, hi) by value, returning the number of inversions (swaps).
std::uint64_t merge_count(std::vector<double>& v, std::vector<double>& tmp, std::size_t lo, std::size_t hi) {
  if (hi - lo < 2) return 0;
  std::size_t mid = lo + (hi - lo) / 2;
  std::uint64_t swaps = merge_count(v, tmp, lo, mid) + merge_count(v, tmp, mid, hi);
  std::size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    if (v[j] < v[i]) {
      swaps += mid - i;
      tmp[k++] = v[j++];
    } else {
      tmp[k++] = v[i++];
    }
  }
  while (i < mid) tmp[k++] = v[i++];
  while (j < hi) tmp[k++] = v[j++];
  std::copy(tmp.begin() + lo, tmp.begin() + hi, v.begin() + lo);
  return swaps;
}

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  double pos = q * (sorted.size() - 1);
  std::size_t i = static_cast<std::size_t>(pos);
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

}  // namespace

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("kendall_tau_b: vectors differ in length");
  const std::size_t n = x.size();
  if (n < 2) return 0;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return x[a] != x[b] ? x[a] < x[b] : y[a] < y[b]; });
  std::uint64_t ties_x =
      tied_pairs(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] == x[b]; });
  std::uint64_t ties_xy = tied_pairs(order.begin(), order.end(),
                                     [&](std::size_t a, std::size_t b) { return x[a] == x[b] && y[a] == y[b]; });
  std::vector<double> ys(n), tmp(n);
  for (std::size_t i = 0; i < n; ++i) ys[i] = y[order[i]];
  std::uint64_t swaps = merge_count(ys, tmp, 0, n);  // ys is now sorted
  std::uint64_t ties_y = tied_pairs(ys.begin(), ys.end(), [](double a, double b) { return a == b; });
  const double pairs = static_cast<double>(n) * (n - 1) / 2;
  // concordant - discordant = pairs - ties_x - ties_y + ties_xy - 2 swaps
  double numerator = pairs - double(ties_x) - double(ties_y) + double(ties_xy) - 2.0 * double(swaps);
  double denominator = std::sqrt((pairs - double(ties_x)) * (pairs - double(ties_y)));
  return denominator > 0 ? numerator / denominator : 0;
}

ErrorSummary summarize_errors(const std::vector<double>& predicted, const std::vector<double>& truth) {
  if (predicted.size() != truth.size()) throw std::invalid_argument("summarize_errors: vectors differ in length");
  ErrorSummary s;
  s.blocks = truth.size();
  if (truth.empty()) return s;
  std::vector<double> rel(truth.size());
  double sum = 0, sum_p = 0, sum_t = 0;
  std::size_t w5 = 0, w10 = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (!(truth[i] > 0)) throw std::invalid_argument("summarize_errors: a true throughput is not positive");
    rel[i] = std::abs(predicted[i] - truth[i]) / truth[i];
    sum += rel[i];
    sum_p += predicted[i];
    sum_t += truth[i];
    w5 += rel[i] <= 0.05;
    w10 += rel[i] <= 0.10;
  }
  s.mape = sum / truth.size();
  s.mean_predicted = sum_p / truth.size();
  s.mean_true = sum_t / truth.size();
  s.within_5 = double(w5) / truth.size();
  s.within_10 = double(w10) / truth.size();
  std::sort(rel.begin(), rel.end());
  s.p50 = quantile_sorted(rel, 0.5);
  s.p90 = quantile_sorted(rel, 0.9);
  s.p99 = quantile_sorted(rel, 0.99);
  s.kendall_tau = kendall_tau_b(predicted, truth);
  return s;
}

std::map<std::string, ErrorSummary> summarize_errors_by(const std::vector<double>& predicted,
                                                        const std::vector<double>& truth,
                                                        const std::vector<std::string>& group) {
  if (group.size() != truth.size()) throw std::invalid_argument("summarize_errors_by: groups differ in length");
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> parts;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    auto& [p, t] = parts[group[i]];
    p.push_back(predicted[i]);
    t.push_back(truth[i]);
  }
  std::map<std::string, ErrorSummary> out;
  for (const auto& [name, pt] : parts) out[name] = summarize_errors(pt.first, pt.second);
  return out;
}

}  // namespace surrogate::dataset
