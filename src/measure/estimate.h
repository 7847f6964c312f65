// Robust summaries of repeated timings.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
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

// In ascending `sorted`, the index of the lower value of the lowest pair of
// adjacent values within `tolerance` of each other; sorted.size() if none.
inline size_t lowest_agreeing_pair(const std::vector<double>& sorted, double tolerance) {
  for (size_t i = 0; i + 1 < sorted.size(); ++i)
    if (sorted[i + 1] <= (1 + tolerance) * sorted[i]) return i;
  return sorted.size();
}

// The minimum that a second value confirms: the larger value of the lowest
// pair of values (adjacent when sorted) within `tolerance` of each other; NaN
// when no two values are that close (or fewer than two). Timing noise is
// mostly one-sided (interrupts, a busy sibling: slower), but not entirely:
// under KVM one run in tens can read ~7% fewer TSC ticks than its neighbours
// (the core clock changing for microseconds), and a plain minimum would keep
// it. Nor is "the second smallest" confirmation: on a Zen 5 guest under
// other load, L_a read {19,889, 21,770, 106,540} (one clean run, two slowed
// by interrupts no context switch counted), and its second smallest made a
// 2-cycle chain read 1.81.
inline double confirmed_minimum(std::vector<double> v, double tolerance) {
  std::sort(v.begin(), v.end());
  const size_t i = lowest_agreeing_pair(v, tolerance);
  return i < v.size() ? v[i + 1] : std::nan("");
}

// The value a series' confirmed minimum stands for: the mean of the values
// within `tolerance` above the lower of the lowest agreeing pair (the pair
// confirmed_minimum takes its larger value from); NaN where
// confirmed_minimum is. Those runs are all readings of the clean floor, one
// apart from another by read noise (the calibration's, the TSC's), which
// their mean halves where the pair's larger value keeps it: on a Zen 5
// guest in busy hours, two runs over 10,001 blocks agreed at a median of
// 0.44-0.54% with it against 0.52-0.60% with the larger value, and 204
// known-answer chains read as close to their truth (median 0.13-0.18% off
// against 0.14-0.20%).
inline double confirmed_floor(std::vector<double> v, double tolerance) {
  std::sort(v.begin(), v.end());
  const size_t i = lowest_agreeing_pair(v, tolerance);
  if (i == v.size()) return std::nan("");
  double sum = 0;
  size_t n = 0;
  for (size_t j = i; j < v.size() && v[j] <= (1 + tolerance) * v[i]; ++j, ++n) sum += v[j];
  return sum / static_cast<double>(n);
}

// Whether a series' confirmed minimum stands: no run reads more than `gap`
// below it, or at least `support` runs agree with it within `tolerance`.
// Two runs slowed by the same event agree too: under other load two L_b runs
// each slowed by the same 14 us confirmed a minimum 3.7x the truth while the
// series' one clean run stood alone below them. A lone low run is more
// often a fluke (the core clock changing for microseconds), so more runs
// settle it: a third agreeing with the minimum, or one confirming the low.
//
// `witnesses`: the same series' runs from repetitions a check flagged (in
// cycles by their repetition's lower calibration). They cannot make the
// minimum, but other load only adds time, so a low among them counts as one
// among `v` does, and two of them agreeing on a value more than `gap` below
// the minimum refute it: on a Zen 5 guest under deliberate other load an
// interrupt costing ~11,000 cycles landed in the L_a run of every clean
// repetition of a block (a 4-cycle chain read 1.66) while flagged
// repetitions' L_a runs read the truth.
//
// `refuting_gap`: a run of `v` itself more than this below the minimum
// refutes it alone. `v` holds clean repetitions only, whose calibration the
// imul check holds within a few %, so such a low is no clock fluke but the
// one run an event missed: on a Zen 5 guest, in minutes when events of
// ~11,700 TSC ticks (no context switch counted) hit most runs, L_b read
// {40,535, 52,341, 51,974, 51,867}; three slowed runs supported the minimum
// and a 4-cycle chain read 6.31 (measure v15).
inline bool minimum_stands(const std::vector<double>& v, double tolerance, double gap, size_t support,
                           const std::vector<double>& witnesses = {},
                           double refuting_gap = std::numeric_limits<double>::infinity()) {
  const double minimum = confirmed_minimum(v, tolerance);
  if (std::isnan(minimum)) return false;  // also when empty
  if (*std::min_element(v.begin(), v.end()) * (1 + refuting_gap) < minimum) return false;
  std::vector<double> all = v;
  all.insert(all.end(), witnesses.begin(), witnesses.end());
  if (*std::min_element(all.begin(), all.end()) * (1 + gap) >= minimum) return true;
  if (confirmed_minimum(all, tolerance) * (1 + gap) < minimum) return false;  // a confirmed low
  const auto agreeing = std::count_if(
      v.begin(), v.end(), [&](double x) { return x * (1 + tolerance) >= minimum && x <= minimum * (1 + tolerance); });
  return static_cast<size_t>(agreeing) >= support;
}

// The figure a block's clean passes give (cycles per 100 iterations, each a
// confirmed minimum of its pass): when every pass is within `gap` of the
// fastest, their mean; else, when a second pass confirms the fastest within
// `agreement`, the mean of the passes that close to it; NaN otherwise (the
// block is measured in more passes, then given up as disturbed). The mean,
// not the fastest (measure v23): on a Zen 5 guest the fastest of two passes
// read known answers 0.14-0.16% low at the median, their mean 0.00-0.02%,
// and two runs of 10,001 blocks agreed at median 0.410-0.487% by the mean
// against 0.451-0.522% by the fastest (BENCHMARKS.md 46). Neither a lone
// fast pass nor the slower figure two passes agree on is taken: under
// bursts of events of ~11,000 TSC ticks (no context switch counted) on a
// Zen 5 guest, whole passes read with every L_a run slowed alike (an 8-cycle
// add chain: passes 8.03, 3.60, 7.99, the lone fast one wrong) or every L_b
// run (an 11-cycle chain: 11.02, 17.14, 17.16, the two agreeing ones
// wrong), every check passing (measure v15; before, the fastest pass was
// written).
inline double pass_figure(std::vector<double> figures, double gap, double agreement) {
  if (figures.empty()) return std::nan("");
  std::sort(figures.begin(), figures.end());
  const double bound = figures.back() <= (1 + gap) * figures.front() ? figures.back()
                       : figures[1] <= (1 + agreement) * figures[0]  ? (1 + agreement) * figures[0]
                                                                     : std::nan("");
  if (std::isnan(bound)) return bound;
  double sum = 0;
  size_t n = 0;
  for (double f : figures)
    if (f <= bound) sum += f, ++n;
  return sum / static_cast<double>(n);
}

// The figures more than `gap` above `base`.
inline std::vector<double> slow_passes(const std::vector<double>& figures, double base, double gap) {
  std::vector<double> slow;
  for (double f : figures)
    if (f > (1 + gap) * base) slow.push_back(f);
  return slow;
}

// A block's second mode: the figure of its passes more than `gap` above its
// pass_figure when two of them agree within `agreement` (confirmed_minimum
// of them); NaN when there are none, or none agree. A lone slow pass is as
// likely a pass slowed by other load all through (on an Intel guest under
// other tenants' load, 63-107 of 10,001 blocks had one pass over 5% slow per
// run, only 1 of them in both runs).
inline double second_mode(const std::vector<double>& figures, double gap, double agreement) {
  const double figure = pass_figure(figures, gap, agreement);
  if (std::isnan(figure)) return figure;
  return confirmed_minimum(slow_passes(figures, figure, gap), agreement);
}

// Whether the figures leave the block's modes open (another pass may settle
// them): passes more than `gap` apart, and the fastest or a slower one
// stands alone.
inline bool modes_unsettled(const std::vector<double>& figures, double gap, double agreement) {
  if (figures.empty()) return false;
  const auto [low, high] = std::minmax_element(figures.begin(), figures.end());
  if (*high <= (1 + gap) * *low) return false;
  const double figure = pass_figure(figures, gap, agreement);
  return std::isnan(figure) || std::isnan(confirmed_minimum(slow_passes(figures, figure, gap), agreement));
}

// Whether a block's two estimates agree: `by_minima` from the confirmed
// minima of its L_a and L_b series (which may come from different
// repetitions, each converted with its own calibration) and
// `by_repetition`, the confirmed minimum of the repetitions' own
// differences; within `tolerance` of the larger of |by_repetition| and
// `floor` (cycles per iteration: near-free blocks get an absolute bound).
// False when either is NaN (not yet confirmed).
inline bool estimates_agree(double by_minima, double by_repetition, double tolerance, double floor) {
  if (std::isnan(by_minima) || std::isnan(by_repetition)) return false;
  return std::abs(by_minima - by_repetition) <= tolerance * std::max(std::abs(by_repetition), floor);
}

// Whether a b run is no longer than unrolling allows over the a run of the
// same repetition (unroll factors a < b; L in any one unit): both loops pay
// the same cost per iteration outside the block (lfence, register resets,
// counter), so with every copy of the block costing the same,
// L_b <= (b / a) L_a; `excess` is the tolerance above that. A b run beyond it
// carried a cost the a run did not: on a Zen 5 guest known chains read
// L_b / L_a at 0.98-0.99 x b / a clean and at 1.25-1.30 x when an
// ~11,700-tick event hit the b run; and in an event of a second or two the
// b loops of real blocks ran 3-7x their quiet time per iteration while the
// a loops read as quiet, both passes agreeing: v16 wrote 208 blocks at
// 1.5-16x their quiet figures in 8 runs of 10,001 (BENCHMARKS.md 41).
inline bool within_unrolling_ratio(double ticks_a, double ticks_b, double unroll_a, double unroll_b, double excess) {
  return ticks_b <= (1 + excess) * (unroll_b / unroll_a) * ticks_a;
}

// Per-iteration cost by unroll-and-difference: (L_b - L_a) / ((b - a) * M),
// in the unit of L (TSC ticks).
inline double unrolled_difference(double ticks_a, double ticks_b, double unroll_a, double unroll_b, double iterations) {
  return (ticks_b - ticks_a) / ((unroll_b - unroll_a) * iterations);
}

// The loop's own cost per iteration outside the unrolled copies (the
// intercept of L over the unroll factor): (b L_a - a L_b) / ((b - a) * M),
// in the unit of L. For the timed loops it is the lfence, register resets
// and counter (about 31 cycles on a Zen 5 guest).
inline double unrolled_intercept(double ticks_a, double ticks_b, double unroll_a, double unroll_b, double iterations) {
  return (unroll_b * ticks_a - unroll_a * ticks_b) / ((unroll_b - unroll_a) * iterations);
}

}  // namespace surrogate::measure
