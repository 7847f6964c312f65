// WorkerStarts: a run's accepted worker starts, and the clean canary
// baseline they share.
//
// A clock reference that ran slow through a start-up (2.4-5.3x on a
// Firecracker Zen 5 guest, with the imul check slowed alike) shows as more
// TSC ticks per reference cycle than other starts, and its canary baseline
// reads low by the same factor; taken into the shared baseline, it flagged
// every later repetition as disturbed. So a start whose ratio is over
// kStartRatioBand x the lowest is refused (retryable), and the shared
// baseline is a low quantile of the canaries of starts in the band: not
// their minimum, which can only fall as starts accumulate (one per
// Options::worker_blocks block measurements), each outlier start lowering it
// for good.
//
// One WorkerStarts serves every Harness::measure call of a run: a retry
// round that starts while another tenant shares the core would otherwise
// learn its baseline from its own contended starts alone. On a Zen 5 guest
// without a quiet record, such a round's worker passed repetitions whose
// canaries read 1.37x (zero idioms) and 1.3x (loads) the run's first-round
// baseline and wrote 42 fast blocks 1.1-2.1x slow (BENCHMARKS.md 44).
#pragma once

#include <vector>

#include "measure/block_timer.h"
#include "measure/measurement.h"

namespace surrogate::measure {

class WorkerStarts {
 public:
  // Adds a start, or throws StartError (retryable) when its TSC ticks per
  // reference cycle are over kStartRatioBand x the lowest of the accepted.
  void accept(const ReferenceCheck& check, const CanaryCycles& canary);
  // kStartCanaryQuantile of the canaries of the accepted starts in the band
  // (each canary apart; zero where none is positive).
  CanaryCycles canary() const { return canary_; }
  size_t size() const { return starts_.size(); }

 private:
  struct Start {
    double tsc_per_cycle;
    CanaryCycles canary;
  };
  std::vector<Start> starts_;
  CanaryCycles canary_;
};

}  // namespace surrogate::measure
