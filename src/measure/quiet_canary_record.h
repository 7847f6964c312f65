// The quiet canary record: what this host's canaries (block_timer.h) read
// when nothing else shared its cores, remembered across runs of `measure`.
//
// A run's canary baseline is a low quantile of its workers' start-up
// readings, so a run whose whole duration shares the core with another
// tenant (another VM's vCPU on the SMT sibling, say) learns a contended
// baseline and flags nothing. The record holds the clean baselines of the
// last kRememberedRuns runs on this host and method; the baseline it gives
// is a low quantile of them, not their minimum (one start that read fast
// must not make every later repetition look disturbed).
//
// File: <state dir>/measure-canaries-<host identity>.json, state dir =
// $SURROGATE_STATE_DIR (set and empty: no record), else
// $XDG_STATE_HOME/surrogate, else $HOME/.local/state/surrogate. A file that
// cannot be read or names another method is ignored (and replaced).
#pragma once

#include <string>
#include <vector>

#include "measure/measurement.h"

namespace surrogate::measure {

inline constexpr size_t kRememberedRuns = 16;

class QuietCanaryRecord {
 public:
  // The record of host `identity` for method `method` (e.g. "measure v8");
  // disabled (no file) when no state directory can be named.
  QuietCanaryRecord(const std::string& identity, std::string method);
  // The record in `path` (tests).
  static QuietCanaryRecord at(std::string path, std::string method);

  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // Remembered runs (0 when none or disabled).
  size_t runs() const;
  // The quiet baseline: per canary, the 25th percentile of the remembered
  // runs' baselines; zeros when nothing is remembered.
  CanaryCycles quiet() const;
  // Adds a run's own clean baseline (both canaries > 0; else ignored),
  // keeping the last kRememberedRuns, and writes the file atomically. Returns
  // false, with *why, when the file cannot be written.
  bool remember(const CanaryCycles& run_baseline, std::string* why);

 private:
  QuietCanaryRecord() = default;
  void load();
  std::string path_, method_;
  std::vector<CanaryCycles> runs_;  // oldest first
};

}  // namespace surrogate::measure
