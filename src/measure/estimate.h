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

// Per-iteration cost by unroll-and-difference: (L_b - L_a) / ((b - a) * M),
// in the unit of L (TSC ticks).
inline double unrolled_difference(double ticks_a, double ticks_b, double unroll_a, double unroll_b, double iterations) {
  return (ticks_b - ticks_a) / ((unroll_b - unroll_a) * iterations);
}

}  // namespace surrogate::measure
