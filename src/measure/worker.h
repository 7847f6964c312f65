// WorkerProcess: a forked child that runs blocks for the parent, one at a time.
//
// The child sets up a BlockTimer, pins itself to a CPU, lowers its rlimits
// (no core dumps, bounded address space and CPU time), closes
// every inherited descriptor but its socket, installs the seccomp filter
// (seccomp_filter.h) and reports ready. Then, per job, in order: it reads a
// block from the socket, measures it and writes back the Measurement. A block that kills
// or hangs the child costs only the child: the parent reports that block
// unmeasurable (with the signal or the timeout) and starts a fresh worker.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <span>
#include <string>

#include "measure/block_timer.h"
#include "measure/measurement.h"

namespace surrogate::measure {

class WorkerProcess {
 public:
  // Forks and waits for the child to be ready. cpu < 0: no pinning.
  // Throws StartError when the child cannot start (with its reason).
  WorkerProcess(const Options& options, int cpu, bool has_avx);
  ~WorkerProcess();  // ends the child (EOF, then SIGKILL if needed) and reaps it
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Hands the child one block to measure; results come back in the order the
  // blocks were sent (receive). Sending the next block before the previous
  // result is read keeps the child busy while the parent takes that result:
  // a round trip through the parent cost ~65 us per block on a Firecracker
  // Zen 5 guest (one pass of a block: ~410 us). clean_canary (0: unknown)
  // is the run's start-up baseline over its workers' starts: the child flags
  // repetitions against it when it is below its own (a worker that started
  // while the core was shared, e.g. with an SMT sibling busy, would otherwise
  // accept a whole batch of slow runs), and against the host's quiet record
  // (Options::quiet_canary) where that is lower still.
  void send(std::span<const uint8_t> block, const CanaryCycles& clean_canary = {},
            std::span<const RipDisplacement> rip = {});
  // The result of the oldest block sent and not yet received, waiting at most
  // timeout_seconds. On a timeout or the child's death the result is
  // unmeasurable with the reason, alive() turns false, and the blocks sent
  // after it are not measured (send them to a fresh worker).
  Measurement receive(double timeout_seconds);
  // Sent blocks whose result has not been received.
  size_t in_flight() const { return pending_.size(); }
  bool alive() const { return alive_; }
  // The child's process id (it names the worker in results and traces).
  pid_t pid() const { return pid_; }
  // The child's canary at start-up (median, cycles per iteration).
  CanaryCycles canary_baseline() const { return canary_baseline_; }
  // The child's start-up self-check of the clock reference.
  ReferenceCheck reference_check() const { return reference_check_; }

 private:
  std::string reap();  // kills (if needed) and waits; describes how the child ended

  pid_t pid_ = -1;
  int fd_ = -1;  // the parent's end of the socket pair
  bool alive_ = false;
  std::deque<uint64_t> pending_;  // keys of the jobs sent and not yet received, oldest first
  std::string ended_;             // how the child ended (reap), once it has
  uint64_t lost_key_ = 0;         // the job that could not be sent (the child was gone)
  CanaryCycles canary_baseline_;
  ReferenceCheck reference_check_;
};

}  // namespace surrogate::measure
