// BlockTimer: measures one block at a time inside a worker process.
//
// Per block: emit the timed code at unroll factors a and b (code slots 4, 5),
// warm up once at b with page mapping on (every page the loop touches is
// faulted in then: registers are reset at each iteration, so the touched set
// does not depend on M), choose the loop count M so that a run at b lasts
// about Options::target_ticks (the harness's own runs below: shorter), then
// repeat until `repetitions` clean results:
//   calibration  a dependent chain of Options::reference_instruction (`add
//                rax, rbx`, 1 cycle each) -> ticks per cycle
//   block        (L_b - L_a) / ((b - a) M) ticks, / ticks per cycle -> cycles
//   canaries     `xor eax,eax; xor ecx,ecx` (dispatch-bound) and three
//                independent loads (load-port-bound), in cycles
// A repetition is disturbed (and retried) when a canary exceeds
// canary_tolerance x its undisturbed value or reads below 0.8 x it (the
// reference itself read slow), when its clock ratio is more than 25% off the
// worker's start-up ratio, when its two calibrations differ by more than 2%,
// when the worker was context-switched inside it, when a timed run
// faulted, or when the block's b run read shorter than its a run (the a run
// was slowed) or longer than 1.1 x b / a times it (the b run was: both pay
// the same loop cost per iteration); the two run in random order so that load
// recurring with the period of a repetition does not slow the same one every
// time.
// A block is given up as disturbed, however clean its repetitions, when the
// worker's repetitions before it read the canaries' median over
// Options::stretch_tolerance (a stretch of contention: recent_repetitions.h),
// and, with its worker replaced, when over Options::code_mode_share of them
// read the b run over the unrolling ratio (a worker whose block code runs
// slowly: recent_repetitions.h).
// Two canaries because a busy SMT sibling or another tenant can contend for
// load ports without slowing dispatch: on this host load-heavy blocks read up
// to 1.7x slow in bursts the zero-idiom canary alone did not flag. The clean repetitions become one figure as
// Options::estimator says (measurement.h). At start-up the reference checks itself: a dependent `imul rax, rax` chain
// must read 3 reference cycles per instruction within 10%, else the
// constructor throws (a reference the core folds away, as Intel Golden Cove
// and later fold `add rax, 1` at rename, would scale every result ~5x).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>

#include "measure/measurement.h"
#include "measure/recent_repetitions.h"
#include "measure/repetition_trace.h"
#include "measure/run_context.h"
#include "measure/timed_code.h"

namespace surrogate::measure {

class BlockMemory;
class CodeBuffer;
class FaultGuard;

// The clock reference's start-up self-check (medians over the start-up repetitions).
struct ReferenceCheck {
  double imul_cycles = 0;    // dependent imul r64 chain, reference cycles per instruction (3 when right)
  double tsc_per_cycle = 0;  // TSC ticks per reference cycle
};

class BlockTimer {
 public:
  // Sets up memory, code and signal handlers, checks the clock reference
  // (throws StartError with the figures when it fails; retryable when the
  // reading is near enough to be other load), then calibrates the canaries.
  BlockTimer(const Options& options, bool has_avx);
  ~BlockTimer();

  // rip: the block's RIP-relative displacements (TimedCodeSpec::rip_displacements).
  Measurement measure(std::span<const uint8_t> block, std::span<const RipDisplacement> rip = {});

  // For the seccomp policy: the range of the code that runs blocks, and its
  // memfd (written with pwrite for every block).
  uint64_t code_begin() const;
  uint64_t code_end() const;
  int code_fd() const;
  // The canaries' undisturbed cost: a low quantile at start-up, or lower
  // values adopted from lower_canary_baseline and the quiet record
  // (Options::quiet_canary).
  CanaryCycles canary_baseline() const { return canary_baseline_; }
  ReferenceCheck reference_check() const { return reference_check_; }
  // Adopts each positive value of the run's start-up baseline `run` (over
  // its worker starts) that is lower than the current one, and the quiet
  // record's as above.
  void lower_canary_baseline(const CanaryCycles& run);

 private:
  struct Pair {  // one unroll-and-difference measurement
    bool ok = false;
    bool faulted = false;  // a timed run had to map a page
    double ticks_per_iteration = 0;
    double ticks_a = 0, ticks_b = 0;  // L_a, L_b
    std::string reason;
  };
  enum Slot { kCalA, kCalB, kImulA, kImulB, kCanA, kCanB, kLoadA, kLoadB, kAluA, kAluB, kBlockA, kBlockB, kSlots };
  struct Canaries {  // one repetition of both canaries
    bool ok = false;
    CanaryCycles cycles;
  };
  Canaries time_canaries(double ticks_per_cycle);
  // Both canaries' timings as cycles (the one place this arithmetic lives).
  static Canaries canaries_of(const Pair& zero_idioms, const Pair& loads, double ticks_per_cycle);
  // A canary reads more than canary_tolerance x its baseline.
  bool canaries_disturbed(const CanaryCycles& c) const;

  // Unroll factors (a, b) for a body of `bytes` bytes; b == 0 when too long.
  std::pair<uint32_t, uint32_t> unroll_factors(size_t bytes) const;
  void emit(Slot slot, std::span<const uint8_t> body, uint32_t unroll, std::span<const RipDisplacement> rip = {});
  uint64_t run_ticks(Slot slot, uint64_t iterations, bool* faulted, std::string* reason);
  uint64_t choose_iterations(Slot slot_b, uint64_t target_ticks, std::string* reason);
  static bool grows_with_unrolling(const Pair& p);
  // Times the a run, then the b run (the b run first when `b_first`).
  Pair time_pair(Slot a, Slot b, uint32_t unroll_a, uint32_t unroll_b, uint64_t iterations, bool b_first = false);

  Options options_;
  // Which of a block's two runs comes first in a repetition: random, so that
  // other load that recurs with the period of a repetition does not slow the
  // same run every time.
  std::minstd_rand run_order_{1};
  bool has_avx_;
  bool has_avx512_;  // zero zmm16-31 and k0-k7 at each iteration
  std::unique_ptr<BlockMemory> memory_;
  // The harness's own code (slots kCalA..kAluB; returns with `ret`) and the
  // code that runs blocks (kBlockA, kBlockB; traps), in two buffers at
  // unrelated random addresses: a block can find only its own (timed_code.h).
  std::unique_ptr<CodeBuffer> harness_code_, block_code_;
  CodeBuffer& buffer_of(Slot slot) { return slot >= kBlockA ? *block_code_ : *harness_code_; }
  static size_t index_of(Slot slot) { return slot >= kBlockA ? slot - kBlockA : slot; }
  // The FS base code in `slot` runs with: blocks get init_value (FaultGuard::run).
  std::optional<uint64_t> fs_of(Slot slot) const {
    return slot >= kBlockA ? std::optional<uint64_t>(options_.init_value) : std::nullopt;
  }
  // The block being measured can neither read nor change a segment base
  // (may_touch_segment_bases): its runs keep the harness's FS (FaultGuard::run).
  bool block_keeps_segment_bases_ = false;
  bool keeps_segment_bases(Slot slot) const { return slot >= kBlockA && block_keeps_segment_bases_; }
  RunContext run_inputs_;  // the harness's values for every run (block_rsp, MXCSRs, vector init)
  std::unique_ptr<FaultGuard> guard_;
  uint32_t cal_a_ = 0, cal_b_ = 0, imul_a_ = 0, imul_b_ = 0, can_a_ = 0, can_b_ = 0, load_a_ = 0, load_b_ = 0,
           alu_a_ = 0, alu_b_ = 0;  // unroll factors
  uint64_t cal_iterations_ = 1, imul_iterations_ = 1, canary_iterations_ = 1, load_iterations_ = 1;
  uint64_t alu_iterations_ = 0;         // the ALU canary's (timed only when the trace is on)
  uint64_t imul_check_iterations_ = 1;  // the per-repetition imul check (a canary's length)
  CanaryCycles canary_baseline_;
  // What the stretch window's medians are ratios to: the same, but lowered
  // by the record only to Options::stretch_record_bound x it.
  CanaryCycles stretch_baseline_;
  ReferenceCheck reference_check_;
  RepetitionTrace trace_;  // off unless SURROGATE_MEASURE_TRACE is set
  // This worker's last repetitions, across blocks: canaries over their
  // baseline, b runs over the unrolling ratio (Options::stretch_repetitions).
  RecentRepetitions recent_repetitions_;
};

}  // namespace surrogate::measure
