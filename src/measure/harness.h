// Harness: measures many blocks on this host with a pool of worker processes.
//
// Blocks are cut into batches of Options::batch_size and each batch is
// measured in passes. Options::jobs threads, each with two WorkerProcess
// slots pinned to its CPU, take batches in order, a batch's next pass going
// to a worker process other than the one that ran its last: another
// thread's when one is free, else the thread's other slot. A block's passes
// never all come from one process. A fresh worker takes over a slot after
// Options::worker_blocks block measurements. Every block gets a Measurement
// (measured, or unmeasurable with a one-line reason); a worker that dies or
// hangs is replaced and the batch goes on. Results are handed to the callback as they finish, from the
// pool threads but never concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "measure/block_timer.h"
#include "measure/host_info.h"
#include "measure/measurement.h"
#include "measure/worker_starts.h"

namespace surrogate::measure {

class Harness {
 public:
  // Called once per block, in completion order: (index into the input, result).
  using ResultCallback = std::function<void(size_t index, const Measurement&)>;

  // Throws std::runtime_error on a host that cannot run the harness.
  explicit Harness(Options options = {});

  // Measures `blocks` (machine code, one vector per block). Throws
  // std::runtime_error only when no worker can start at all. When *cancel
  // turns true, no further block is started and unfinished blocks are left
  // default (unmeasurable, empty reason) and not passed to on_result.
  // rip_displacements: empty, or each block's RIP-relative displacements
  // (TimedCodeSpec::rip_displacements), in the order of `blocks`.
  std::vector<Measurement> measure(const std::vector<std::vector<uint8_t>>& blocks,
                                   const ResultCallback& on_result = {}, const std::atomic<bool>* cancel = nullptr,
                                   const std::vector<std::vector<RipDisplacement>>& rip_displacements = {});

  const Options& options() const { return options_; }
  const HostInfo& host() const { return host_; }
  // Worker count actually used.
  unsigned jobs() const { return jobs_; }
  // The CPUs whose worker threads measure, one each by default
  // (measuring_cpus.h; {-1} when the allowed ones are unknown), and which
  // allowed CPUs were left idle and why ("" when none).
  const std::vector<int>& cpus() const { return cpus_; }
  const std::string& cpu_note() const { return cpu_note_; }
  // The clock reference's self-check of the latest worker started by measure()
  // (zeros before any). A worker whose check fails does not start: measure()
  // throws after three such starts, naming the host and the figures.
  ReferenceCheck reference_check() const { return reference_check_; }
  // This run's own clean canary baseline (a low quantile of its accepted
  // worker starts' baselines, over every measure call; zeros before any),
  // before Options::quiet_canary lowers it: what QuietCanaryRecord remembers.
  CanaryCycles run_canary() const { return starts_.canary(); }

 private:
  Options options_;
  HostInfo host_;
  unsigned jobs_ = 1;
  std::vector<int> cpus_;           // CPUs that measure (measuring_cpus.h; -1: unknown)
  std::string cpu_note_;            // which allowed CPUs do not, and why
  ReferenceCheck reference_check_;  // written under measure()'s delivery lock
  WorkerStarts starts_;             // every measure call's accepted starts (worker_starts.h); likewise
};

}  // namespace surrogate::measure
