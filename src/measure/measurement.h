// Options of the host timing harness and what it reports per block.
//
// Throughput is in cycles per 100 iterations (BHive's unit): core cycles, not
// TSC ticks, obtained by dividing each repetition's TSC ticks by the
// ticks-per-cycle ratio of a dependent add chain timed right before and right
// after the block (calibration; the two must agree within 2%).

// The clock reference: one instruction whose dependent chain runs at one core
// cycle per instruction on every x86-64 core. `add rax, rbx` (rbx is reset
// each iteration): register-register adds are 1 cycle on AMD and Intel alike,
// while Intel Golden Cove and later execute small-immediate `add rax, 1` at
// rename, ~6 per cycle (measured under KVM: 0.107 TSC ticks per add against
// 0.643 for `add rax, rbx`), which made every result ~5x too high there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace surrogate::measure {

// Undisturbed cost of each canary (block_timer.h), cycles per iteration (0: unknown).
struct CanaryCycles {
  double zero_idioms = 0;
  double loads = 0;
};

// Per canary, the lower of the two positive values (a value <= 0 means
// unknown: the other one; zero when neither is known).
inline CanaryCycles lower_of(const CanaryCycles& a, const CanaryCycles& b) {
  auto lower = [](double x, double y) { return x <= 0 ? y : (y <= 0 ? x : (x < y ? x : y)); };
  return {lower(a.zero_idioms, b.zero_idioms), lower(a.loads, b.loads)};
}

// Per canary, `scale` x `c` (unknowns stay unknown).
inline CanaryCycles scaled(const CanaryCycles& c, double scale) { return {scale * c.zero_idioms, scale * c.loads}; }

// Whether canaries read over `tolerance` x `baseline` (either canary;
// an unknown baseline, <= 0, judges nothing).
inline bool over_baseline(const CanaryCycles& c, const CanaryCycles& baseline, double tolerance) {
  return (baseline.zero_idioms > 0 && c.zero_idioms > tolerance * baseline.zero_idioms) ||
         (baseline.loads > 0 && c.loads > tolerance * baseline.loads);
}

struct Options {
  // Unroll factors a < b; throughput = (L_b - L_a) / (b - a) per iteration.
  // Per block they are scaled up together (same ratio) until a x bytes >=
  // min_unrolled_bytes: one iteration of the timed loop must be much longer
  // than the out-of-order window, or consecutive iterations overlap and the
  // boundary cost differs between a and b (measured here: a dependent add
  // chain reads 0.82 cycles/add at 100/200 copies, 1.00 from 200/400 on).
  uint32_t unroll_a = 50;
  uint32_t unroll_b = 100;
  size_t min_unrolled_bytes = 2048;
  // Cap on b x block bytes; a longer block gets b' = cap / bytes (at least 2),
  // a' = b' * a / b (at least 1), so its unrolled body stays in L1i.
  size_t max_unrolled_bytes = 16384;
  // Clean (undisturbed) repetitions per block and pass, at least: more are
  // taken until both series are confirmed (kMinimum). 3 since measure v9:
  // on an Intel model 207 guest, 3,000 blocks on one worker took 1.35-2.02 s
  // against 2.28-4.45 s with 5 (six alternated pairs), and two runs over
  // 10,001 unseen blocks agreed at median 0.39%, p90 1.20% (5: 0.30%, 0.97%),
  // ratio 1.000-1.001 at the median against runs with 5 (BENCHMARKS.md 34).
  uint32_t repetitions = 3;
  // Independent passes over each batch (the batch is measured once, then
  // again); a block's figure is the mean of its passes when all are within
  // kTwoModeGap of the fastest, or of those within kModeAgreement of it when
  // a second pass confirms it (estimate.h, pass_figure: a lone fast pass can
  // be one with every L_a run slowed alike).
  // The passes are milliseconds apart: on this host (AMD Zen 4 under KVM) some
  // blocks run in one of two modes for milliseconds at a time, switching at
  // interrupts (e.g. 0.66 or 1.04 cycles/iteration for a 14-byte pair of
  // loads: op cache or 16-byte/cycle legacy decode), and a single pass of
  // ~0.3 ms sees one mode only. Faulting blocks are not measured again. A
  // block with a pass more than kTwoModeGap above its fastest gets up to
  // kModePasses more, until two passes confirm each figure (the slower one
  // is its Measurement::other_mode); a lone slow pass is no mode, and a
  // block whose fastest pass stays alone is given up as disturbed.
  uint32_t passes = 2;
  // How the clean repetitions become one figure (both in core cycles, with the
  // median ticks-per-cycle ratio of the block's calibrations):
  //  kMinimum  (min' L_b - min' L_a) / ((b - a) M), L in core cycles per
  //            repetition, min' the confirmed floor (estimate.h): the mean
  //            of the runs within 2% above the lower of the lowest two runs
  //            that agree within 2% (the checks use the confirmed minimum,
  //            the larger of that pair). It
  //            discards runs slowed by anything (interrupts, a busy SMT
  //            sibling sharing load ports, which the canary does not see)
  //            and a lone run that read fast (the core clock changing under
  //            KVM); repetitions go on (up to max_attempts) until both
  //            series are confirmed, else the block is disturbed;
  //  kMedian   median over repetitions of each repetition's own difference.
  enum class Estimator { kMinimum, kMedian };
  Estimator estimator = Estimator::kMinimum;
  // Repetitions tried, clean or disturbed, before a block is given up.
  uint32_t max_attempts = 20;
  // TSC ticks aimed at for one timed run of the b-unrolled loop (about 10 us),
  // far above the TSC granularity.
  uint64_t target_ticks = 25000;
  // The harness's own runs last target_ticks / these: the calibration's and
  // the canaries' (block_timer.cc says why).
  static constexpr uint64_t kCalibrationTicksDivisor = 2, kCanaryTicksDivisor = 4;
  // "25000/2/4": the run lengths, for the journal fingerprint and the quiet canary record.
  std::string run_lengths() const {
    return std::to_string(target_ticks) + "/" + std::to_string(kCalibrationTicksDivisor) + "/" +
           std::to_string(kCanaryTicksDivisor);
  }
  // One instruction of the reference chain (see above); BlockTimer checks it
  // at start-up against a dependent imul chain. Tests replace it by ones that
  // must be refused.
  std::vector<uint8_t> reference_instruction = {0x48, 0x01, 0xD8};  // add rax, rbx
  // Every GPR but rsp, each 64-bit lane of xmm0-15 and each 64-bit word of
  // data memory start at this value.
  uint64_t init_value = 0x100000;
  // Where a block's memory operands point (BENCHMARKS.md, "memory layout").
  //  kShared   (BHive's method) every GPR but rsp holds init_value,
  //            so (%rax) and (%rbx) are one address, and rsp's page offset
  //            is 0 like init_value's: every access may alias every other.
  //  kDistinct GPR r holds init_value + r x kRegisterStride and rsp sits at
  //            (4 x kRegisterStride) mod 4 KiB into its page, and every
  //            virtual page is its own physical page: distinct base registers
  //            reach distinct pages at distinct 256-byte page offsets (no
  //            4K aliasing between them for displacements within +-128
  //            bytes), and no two pages share a byte. The default: real
  //            code's pointers seldom point at the data beside them, and the
  //            shared layout made 11.7% of real blocks >10% slower through
  //            chains that exist only because of it (BENCHMARKS.md 23).
  // The harness's own code (calibration, canaries) runs the same in both.
  enum class MemoryLayout { kShared, kDistinct };
  MemoryLayout memory_layout = MemoryLayout::kDistinct;
  static constexpr uint64_t kRegisterStride = 0x10100;  // 64 KiB + 256 bytes
  // Bytes between consecutive GPR numbers' initial values (0: all equal).
  uint64_t register_stride() const { return memory_layout == MemoryLayout::kDistinct ? kRegisterStride : 0; }
  // Offset of the block's rsp within its page.
  uint64_t rsp_page_offset() const { return (4 * register_stride()) % 4096; }
  std::string memory_layout_name() const { return memory_layout == MemoryLayout::kDistinct ? "distinct" : "shared"; }
  // MXCSR during runs: true = FTZ and DAZ on (0x9FC0), false = default (0x1F80).
  bool flush_denormals = true;
  // A repetition is disturbed when the canary measures more than
  // canary_tolerance x the lowest worker start-up median of the canary.
  double canary_tolerance = 1.1;
  // A block is given up as disturbed when, over the worker's last
  // stretch_repetitions repetitions before it (those whose calibration held:
  // no context switch, failed or drifting calibration or clock out of band;
  // flagged by another check or clean), the median of either canary read
  // over stretch_tolerance x its baseline: a stretch of sustained contention
  // in which the repetitions that pass the canary check are lucky, not
  // undisturbed (recent_repetitions.h). Judged once half that many are held (a
  // fresh worker holds none). On a Zen 5 guest 83 of the 84 blocks such a
  // stretch wrote 10-60% slow were so, against 0.94% of the fast blocks'
  // passes read right over 25 traced runs of 10,001 blocks (BENCHMARKS.md
  // 43, tools/trace_stretch.py). Both medians over half the tolerance's
  // excess (1.03) name one too (RecentRepetitions::stretch). v19 judged at
  // 1.12 alone; milder kinds of contention then wrote fast blocks 10-50%
  // slow, 586 and 263 in two runs (BENCHMARKS.md 45).
  size_t stretch_repetitions = 200;
  double stretch_tolerance = 1.06;  // 0: no such check (v18)
  // The baseline the stretch window's medians are ratios to: the run's
  // (over its worker starts and the worker's own), lowered by the host's
  // quiet record (quiet_canary) only to this x the record, where the
  // per-repetition check takes the record itself (v24). A quiet run's
  // baseline sits above the record by the spread of quiet runs: ~1.5% on a
  // Zen 5 guest, but 6.1% for the loads canary in an Intel Emerald Rapids
  // guest's held-out run (0.997 cycles against a record of 0.940, its
  // committed metadata), where windows judged by the record read every quiet
  // worker at ~1.06x, a stretch. A run that starts contended (1.17-1.38x
  // the record on Zen 5, BENCHMARKS.md 44) is still judged from at most
  // 1.12x the record.
  double stretch_record_bound = 1.12;
  // A repetition is disturbed when its b run reads over (1 +
  // unrolling_excess) x b/a times its a run (BlockTimer: both loops pay the
  // same cost per iteration around the block).
  double unrolling_excess = 0.10;
  // A block is given up as disturbed (measured again by a fresh worker),
  // and its worker replaced, when over the worker's last stretch_repetitions
  // repetitions (those with a calibration that held and a block run that did
  // not fault) more than this share read the b run over the unrolling ratio:
  // a worker whose block code runs slowly (recent_repetitions.h). Judged once
  // half that many are held.
  double code_mode_share = 0.5;  // 0: no such check (v19)
  // What this host's canaries read when it was quiet, from earlier runs
  // (quiet_canary_record.h; zeros: nothing remembered). Repetitions are
  // judged against the lower of it and this run's own start-up baseline
  // (the stretch window: stretch_record_bound x it): a
  // run that starts while another tenant shares the core learns a contended
  // baseline, and on a Zen 5 guest such a run wrote values 1.17x the quiet
  // ones at the median (up to 4x) with every canary check passing.
  CanaryCycles quiet_canary;
  // Cap on pages one block may fault in (each mapped onto the shared page).
  size_t max_faulted_pages = 256;
  // Worker processes in parallel; 0 = one per CPU this process may run on.
  unsigned jobs = 0;
  // Blocks per batch: the passes run over a batch (a block's passes are a
  // batch apart, on two workers: Harness), and the pool threads take batches
  // in turn.
  size_t batch_size = 50;
  // Block measurements (one block in one pass) a worker process makes before
  // a fresh one takes over. Each start checks the clock reference again and
  // adds its canary readings to the run's shared baseline (Harness); it costs
  // ~10 ms (fork, sandbox, self-check, exit) on a Firecracker Zen 5 guest,
  // where a worker per batch of 50 blocks (~100 measurements) spent 17% of a
  // one-worker run starting and ending workers.
  size_t worker_blocks = 1000;
  // The parent kills a worker whose block takes longer than this.
  double block_timeout_seconds = 10.0;
  // A worker start whose self-check other load may have spoiled is retried
  // this many times in a row, after waits of 0.5, 1, 2, ... s, before the job
  // stops with the reason (7: about a minute).
  uint32_t start_retries = 7;
  // Pin worker i to the i-th allowed CPU.
  bool pin_workers = true;

  uint32_t mxcsr() const { return flush_denormals ? 0x9FC0u : 0x1F80u; }
  std::string estimator_name() const {
    return estimator == Estimator::kMinimum
               ? "confirmed floor: (floor L_b - floor L_a) / ((b - a) M) over clean "
                 "repetitions, floor the mean of the runs within 2% above the lower of the lowest two runs within "
                 "2% of each other (v16; min2: the larger of those two), L in core cycles by each repetition's own "
                 "calibration; repetitions go on until the min2 estimate agrees within 2% (or 0.01 cycles) with "
                 "the min2 of the repetitions' own differences (v11) and, in each series whose lowest "
                 "run, or a run of a flagged repetition, reads over 5% below its min2, three runs agree with "
                 "that min2 and no two flagged runs agree on a value that low (v12, v14)"
               : "median over clean repetitions of (L_b - L_a) / ((b - a) M)";
  }
  std::string denormal_policy() const {
    return flush_denormals ? "FTZ+DAZ (MXCSR 0x9FC0)" : "IEEE denormals (MXCSR 0x1F80)";
  }
};

// A worker (or its BlockTimer) could not start. retryable: the cause may be
// other load on the host, such as a clock-reference self-check that read
// near but outside its tolerance: try again after a wait. Otherwise the
// cause is lasting (a reference that is wrong on this core, no fork, ...).
class StartError : public std::runtime_error {
 public:
  StartError(const std::string& what, bool retryable) : std::runtime_error(what), retryable_(retryable) {}
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

// Clean passes of one block farther apart than this (relative to the
// faster) may be two modes (Measurement::other_mode); two passes within
// kModeAgreement of each other confirm a mode.
inline constexpr double kTwoModeGap = 0.05, kModeAgreement = 0.02;
// Passes beyond Options::passes for a block whose modes are unsettled.
inline constexpr uint32_t kModePasses = 2;

struct Measurement {
  // Cycles per 100 iterations; empty when the block is unmeasurable.
  std::optional<double> throughput;
  // The block's second mode, cycles per 100 iterations: set when two of its
  // clean passes, from two worker processes, agree (within 2%) on a figure
  // more than kTwoModeGap above `throughput` (the fastest passes, confirmed
  // by a second). A block with one such pass is measured in up to
  // kModePasses more passes to settle it. Empty otherwise.
  std::optional<double> other_mode;
  // Why the block is unmeasurable (one line); empty when measured.
  std::string reason;
  // Median TSC ticks per core cycle over this block's clean repetitions.
  double tsc_per_cycle = 0;
  // Unroll factors used (smaller than Options' for long blocks) and loop count M.
  uint32_t unroll_a = 0, unroll_b = 0;
  uint64_t iterations = 0;
  // Repetitions tried and how many of them the checks flagged as disturbed.
  uint32_t attempts = 0, disturbed = 0;
  // Of the flagged, those whose b run read over 1.1 x b/a times the a run
  // (BlockTimer): other load slows b runs so, but so do the block's own
  // copies where they walk memory and go twice as far at b, so these say
  // nothing of the host's load (MeasureJob's retry rounds).
  uint32_t unrolling_flagged = 0;
  // The canaries' median readings (cycles per iteration) over the clean
  // repetitions that gave the figure; zeros when unmeasured. Each was within
  // canary_tolerance x the baseline the worker judged by then; a run whose
  // baseline later falls (a start on a quieter core) judges them again
  // (MeasureJob).
  CanaryCycles canaries;
  // The worker that gave this result has its block code in a slow state
  // (Options::code_mode_share): the harness sends it no more blocks.
  bool retire_worker = false;
  // Distinct worker processes whose passes gave the result (Harness: a
  // block's passes alternate between workers, so that one worker's slow
  // state cannot confirm its own reading); 0 for one worker's pass.
  uint32_t workers = 0;
  // Pages mapped on demand for the block, over its passes; a page still
  // mapped from an earlier block of the same worker (BlockMemory::begin_block)
  // is not counted.
  uint32_t faulted_pages = 0;

  bool measured() const { return throughput.has_value(); }
  // Given up with most of its flagged repetitions over the unrolling ratio:
  // an event that slowed its b runs, or its own copies' (MeasureJob tells
  // the two apart by measuring it again later).
  bool over_unrolling_ratio() const {
    return !measured() && unrolling_flagged > 0 && 2 * unrolling_flagged >= disturbed;
  }
};

}  // namespace surrogate::measure
