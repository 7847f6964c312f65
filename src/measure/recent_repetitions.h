// RecentRepetitions: what a worker's last repetitions read, across blocks,
// to tell a worker in a lasting bad state from one on a quiet core. Two
// windows of the same capacity:
//
// Canaries (stretch): each repetition's canary readings as ratios to the
// baseline they were judged against. A repetition's own canary check
// (canary_tolerance) catches events shorter than a repetition. A stretch of
// seconds in which another tenant shares the core (a busy SMT sibling: on a
// Zen 5 guest, 84 of 10,001 blocks written 10-60% slow with both passes
// agreeing, BENCHMARKS.md 41-43) flags most repetitions, and the few that
// pass are lucky, not undisturbed: their blocks read slow all the same. Over
// that stretch the canaries' medians read 1.20-1.28x (zero idioms) and
// 1.13-1.19x (loads) their quiet record (1.00-1.01x in quiet runs), so a
// window's median names the stretch that single repetitions do not. Milder
// kinds slow some blocks 10-50% with the medians at 1.07-1.12x (zero
// idioms) and ~1.0x (loads), or at 1.04-1.06x both (BENCHMARKS.md 45):
// hence a tolerance of 1.06 for either, and half its excess (1.03) for
// both at once; quiet, one canary's median may sit 3-5% over its baseline,
// both together seldom.
//
// Unrolling (code mode): whether each repetition's b run read over the
// unrolling ratio ((1 + Options::unrolling_excess) x b/a times its a run). On a
// Zen 5 guest one worker in a few hundred runs its block code slowly for
// its whole life (b runs of 4 KiB and more pay tens to hundreds of cycles
// per iteration that the a runs do not): 79% of its repetitions are over the
// ratio against 4-8% in the other workers of the run, and the blocks whose
// repetitions pass read 10-40% slow (BENCHMARKS.md 44). A fresh worker does
// not carry the state, so the worker is replaced.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>

#include "measure/measurement.h"

namespace surrogate::measure {

// The baseline a worker's stretch window takes its ratios to: its own
// (`own`, as it stands) lowered by the run's start-up baseline (`run`, over
// all its worker starts) and by `record_bound` x the host's quiet record
// (Options::stretch_record_bound), where the per-repetition check takes the
// record itself. Unknown values (<= 0) lower nothing.
CanaryCycles stretch_baseline(const CanaryCycles& own, const CanaryCycles& run, const CanaryCycles& record,
                              double record_bound);

class RecentRepetitions {
 public:
  // Each window holds the last `capacity` readings (> 0).
  explicit RecentRepetitions(size_t capacity);

  // One repetition's canaries over their baseline (both > 0); the oldest
  // reading goes when the window is full.
  void add(const CanaryCycles& ratio);
  size_t size() const { return held_.size(); }
  // Per canary, the median of the held ratios (zeros when empty).
  CanaryCycles median() const;
  // The medians, when at least half the capacity is held and either
  // canary's median reads over `tolerance`, or both over
  // joint_tolerance(tolerance); else none.
  std::optional<CanaryCycles> stretch(double tolerance) const;
  // Half the excess of `tolerance` over 1.
  static double joint_tolerance(double tolerance) { return 1 + (tolerance - 1) / 2; }
  // Whether window medians (ratios to their baseline) name a stretch:
  // either over `tolerance`, or both over joint_tolerance(tolerance).
  static bool names_stretch(const CanaryCycles& medians, double tolerance) {
    const double joint = joint_tolerance(tolerance);
    return medians.zero_idioms > tolerance || medians.loads > tolerance ||
           (medians.zero_idioms > joint && medians.loads > joint);
  }

  // One repetition whose calibration held and block run did not fault: its
  // b run over the unrolling ratio or not.
  void add_unrolling(bool over_ratio);
  size_t unrolling_size() const { return over_ratio_.size(); }
  // The share of held repetitions over the ratio, when at least half the
  // capacity is held and the share exceeds `share` (in (0, 1)); else none.
  std::optional<double> code_mode(double share) const;

 private:
  size_t capacity_;
  std::deque<CanaryCycles> held_;
  std::deque<bool> over_ratio_;
  size_t over_ = 0;  // true entries in over_ratio_
};

}  // namespace surrogate::measure
