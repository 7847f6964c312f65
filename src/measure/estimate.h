// Robust summaries of repeated timings.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace surrogate::measure {

// Median (mean of the two middle values for even sizes); NaN when empty.
inline double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + n / 2, v.end());
  double hi = v[n / 2];
  if (n % 2) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + n / 2);
  return (lo + hi) / 2;
}

// The q-quantile (0 <= q <= 1, nearest rank); NaN when empty.
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  const size_t k = static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// Per-iteration cost by unroll-and-difference: (L_b - L_a) / ((b - a) * M),
// in the unit of L (TSC ticks).
inline double unrolled_difference(double ticks_a, double ticks_b, double unroll_a, double unroll_b, double iterations) {
  return (ticks_b - ticks_a) / ((unroll_b - unroll_a) * iterations);
}

}  // namespace surrogate::measure
