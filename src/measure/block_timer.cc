#include "measure/block_timer.h"

#include <sys/resource.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>
#include <stdexcept>

#include "measure/block_memory.h"
#include "measure/code_buffer.h"
#include "measure/estimate.h"
#include "measure/fault_guard.h"
#include "measure/host_info.h"
#include "measure/repetition_trace.h"
#include "measure/timed_code.h"

namespace surrogate::measure {
namespace {

// imul rax, rax: a dependent chain of 3-cycle multiplies (64-bit imul
// latency is 3 on every x86-64 core of the last 15 years), the self-check of
// the clock reference (Options::reference_instruction).
constexpr uint8_t kImulCheck[] = {0x48, 0x0F, 0xAF, 0xC0};
// The self-check accepts the reference when the imul chain reads 3 reference
// cycles per instruction within this relative tolerance. Beyond it, within
// kRetryableReferenceError above (up to 6 cycles), or anywhere below, the
// reading may be other load: retryable (on a Firecracker Zen 5 guest the add
// reference ran 2.4x slow through one start-up: imul read 1.24; on the same
// guest three start-ups in a row read 4.53 and ended a 219k-block job after
// 4 minutes when the bound was 4.5). Beyond 6 the reference is wrong (`nop`:
// ~12-20, `add rax, 1` on Golden Cove: ~18); a reference slower than one
// cycle (imul: 1.0) is refused after the retries.
constexpr double kImulCycles = 3.0, kReferenceTolerance = 0.10, kRetryableReferenceError = 1.0;
// Every repetition also times the imul chain (a run as long as a canary's)
// and converts it with the repetition's own calibration: a second reference
// of another latency, and a canary for port 1 (Intel's only imul port),
// which the zero-idiom and load canaries do not use. With a compiler on the
// other vCPU of an Intel model 207 guest, imul chains read 5-8% slow in 7
// of 1,656 per-pass estimates the other checks passed; this check flagged a
// repetition of 6 of them, and 0.43% of clean repetitions of 10,001 real
// blocks in a quieter hour. Beyond this relative tolerance of kImulCycles
// the repetition is disturbed.
constexpr double kImulRepetitionTolerance = 0.04;
// A start-up repetition whose imul reading is off the start-up median by
// more than this is left out of the canary baseline (other load slowed one
// chain and not the other).
constexpr double kReferenceAgreement = 0.05;
// A repetition whose calibrations before and after the block differ by more
// than this is disturbed: the core clock changed while the block ran (quiet,
// the two agree within 0.5%; under load on a KVM host 4% apart was seen,
// with the block between them reading 2.4% low).
constexpr double kCalibrationDrift = 0.02;
// A canary cannot run faster than its clean cost: one below kCanaryFloor x
// its baseline means the clock reference itself read slow. On a Firecracker
// Zen 5 guest the add-chain reference ran 5.3x slower (3.0 instead of 0.57
// TSC ticks per cycle) in both calibrations of a few repetitions while the
// block's ticks did not change; its canaries then read ~0.19x and so did the
// block (in ~0.1% of blocks, one -81% value per 2,000).
constexpr double kCanaryFloor = 0.8;
// The same event can slow the canaries with the reference (one -82% value
// passed the floor), so a repetition's clock ratio must also stay within
// kClockBand of the worker's start-up ratio (checked against the imul
// chain). The core clock does move (0.637 and 0.702 TSC ticks per cycle a
// second apart on a KVM Sapphire Rapids guest), but not 5x; a larger move
// only costs coverage (the block is given up as disturbed), never a value.
constexpr double kClockBand = 0.25;
// Two timed runs of a series (L_a or L_b over a block's clean repetitions)
// confirm its minimum when they agree within this (estimate.h,
// confirmed_minimum); a longer loop reading this much below the shorter one
// was slowed too (grows_with_unrolling). Quiet, the runs of a series agree
// within 0.5%.
constexpr double kRunAgreement = 0.02;
// Nor can it take more than b / a times as long, within
// Options::unrolling_excess (within_unrolling_ratio). On a Zen 5 guest in a
// busy hour, 4.7% of the clean repetitions of 9,900 real blocks read over
// it (measure v16's trace), and 14 blocks in most of theirs: loops whose
// copies walk memory (pops advancing rsp, strided vector loops) and go
// twice as far at b. Those are now given up as disturbed; what the bound
// catches is a b run slowed by an event the a run missed: in 8 runs of
// 10,001 real blocks v16 wrote 208 at 1.5-16x their quiet figures, every
// b run of both passes slowed alike (195 with every clean repetition over
// the bound; measure v17, BENCHMARKS.md section 41).
constexpr const char* kOverUnrollingRatio = "b run over b/a x a run";  // its verdict
// The estimate from the two series' confirmed minima must agree within
// kRunAgreement with the confirmed minimum of the repetitions' own
// differences (each L_b - L_a of one repetition, converted with its own
// calibration), relative to the larger of that and this many cycles per
// iteration (near-free blocks: a floor, not a ratio of noise). The minima of
// L_a and L_b may come from different repetitions whose calibrations erred
// apart: under deliberate other load, 13 of 17,805 per-pass estimates of
// known chains read over 5% off; none of 9,330 with this check.
constexpr double kAgreementFloorCycles = 0.5;
// A series whose lowest run reads more than kLoneLowGap below its confirmed
// minimum needs kLoneLowSupport runs agreeing with that minimum (estimate.h,
// minimum_stands): equal slowdowns confirm a wrong minimum otherwise.
constexpr double kLoneLowGap = 0.05;
constexpr size_t kLoneLowSupport = 3;
// A clean run more than this below its series' confirmed minimum refutes it
// whatever supports it (minimum_stands' refuting_gap): the run-to-run flukes
// of the TSC seen under KVM are ~7%.
constexpr double kRefutingLowGap = 0.10;
// The harness's own runs are shorter than the block's (Options::target_ticks,
// Options::kCalibrationTicksDivisor and kCanaryTicksDivisor): the
// calibration's b run lasts half as long, each canary's a quarter. Together
// they were 3/4 of the timed code (one pair each of calibration, two canaries
// and the block per repetition). A canary has only to see a 10% slowdown, and
// two calibrations still bracket each block; on 2,000 held-out blocks of a
// Zen 5 guest two runs agreed with a full-length run as closely as two
// full-length runs did (median 0.34%, p90 1.2-1.3%; BENCHMARKS.md 26).
// Quantile of the start-up canary readings taken as their undisturbed cost.
constexpr double kCanaryBaselineQuantile = 0.2;
// Twelve zero idioms (xor eax,eax; xor ecx,ecx; ... over six registers,
// twice): no execution unit, only dispatch slots, so bound by the front end
// the core shares with an SMT sibling, about 2 cycles an iteration when the
// core is ours alone. Twelve, not two: two read 0.2-0.95 cycles on a Zen 3
// VM (TSC noise on a tiny difference), too loose to see a sibling halve the
// dispatch rate.
constexpr uint8_t kCanary[] = {0x31, 0xC0, 0x31, 0xC9, 0x31, 0xD2, 0x31, 0xF6, 0x31, 0xFF, 0x45, 0x31, 0xC0,
                               0x31, 0xC0, 0x31, 0xC9, 0x31, 0xD2, 0x31, 0xF6, 0x31, 0xFF, 0x45, 0x31, 0xC0};
// mov rax, [rsp]; mov rcx, [rsp+8]; mov rdx, [rsp+16]: independent L1 hits,
// bound by the load ports.
constexpr uint8_t kLoadCanary[] = {0x48, 0x8B, 0x04, 0x24, 0x48, 0x8B, 0x4C, 0x24, 0x08, 0x48, 0x8B, 0x54, 0x24, 0x10};
// add r13 to each of twelve other GPRs: twelve independent ALU operations, no
// memory, bound by the ALUs (about 2 cycles an iteration on six). Timed only
// when the trace is on (ALU in its rows): fast blocks read 5-60% slow through
// a busy run on a Zen 5 guest while the two canaries above stayed within 4%
// (BENCHMARKS.md sections 41-42); whether an ALU-bound canary sees it is open.
constexpr uint8_t kAluCanary[] = {0x4C, 0x01, 0xE8, 0x4C, 0x01, 0xE9, 0x4C, 0x01, 0xEA, 0x4C, 0x01, 0xEB,
                                  0x4C, 0x01, 0xEE, 0x4C, 0x01, 0xEF, 0x4C, 0x01, 0xED, 0x4D, 0x01, 0xE8,
                                  0x4D, 0x01, 0xE9, 0x4D, 0x01, 0xEA, 0x4D, 0x01, 0xEB, 0x4D, 0x01, 0xEC};
// Repetitions used to find the canary's undisturbed value at start-up.
constexpr int kBaselineRepetitions = 15;
constexpr uint64_t kMaxIterations = uint64_t{1} << 20;
// Pages mapped on demand that stay mapped from one block to the next
// (BlockMemory::begin_block). In the shared layout they are all views of one
// page, so a block sees the same memory either way; in the distinct layout
// each is refilled before every run, so more would slow every run.
constexpr size_t kKeptPages = 16;

// Context switches of the calling thread so far (voluntary + involuntary; 0
// when getrusage fails). A repetition during which this changed shared its
// CPU with another task: a run it preempted reads long (the minimum drops it)
// and, when another task wakes often (every ~70 us measured), most runs are
// preempted and the few clean ones do not outvote them: such a repetition
// is disturbed. Preemption of the vCPU by the hypervisor is not counted.
uint64_t context_switches() {
  struct rusage ru{};
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_nvcsw) + static_cast<uint64_t>(ru.ru_nivcsw);
}

struct Run {
  bool ok = false;
  bool faulted = false;  // pages were mapped during the run
  uint64_t ticks = 0;
  std::string reason;
};

}  // namespace

BlockTimer::BlockTimer(const Options& options, bool has_avx)
    : options_(options),
      has_avx_(has_avx),
      has_avx512_(has_avx && host_info().has_avx512),
      recent_repetitions_(options.stretch_repetitions) {
  if (options_.unroll_a == 0 || options_.unroll_a >= options_.unroll_b)
    throw std::invalid_argument("unroll factors must satisfy 0 < a < b");
  memory_ = std::make_unique<BlockMemory>(options_.init_value, options_.max_faulted_pages,
                                          /*distinct_pages=*/options_.memory_layout == Options::MemoryLayout::kDistinct,
                                          kKeptPages);
  // The harness's code runs bodies of at most a few bytes, unrolled to fit.
  harness_code_ = std::make_unique<CodeBuffer>(kBlockA, options_.max_unrolled_bytes + kTimedCodeOverhead);
  block_code_ = std::make_unique<CodeBuffer>(kSlots - kBlockA, options_.max_unrolled_bytes + kTimedCodeOverhead);
  guard_ = std::make_unique<FaultGuard>(*memory_, has_avx_);
  // What the harness gives every run, kept apart from the context page (the
  // block can write that page): each run starts from these values, so a
  // block that overwrites them (e.g. zeroes the MXCSR field) cannot harm the
  // blocks after it.
  run_inputs_.block_rsp = memory_->block_rsp() + options_.rsp_page_offset();
  run_inputs_.block_mxcsr = options_.mxcsr();
  run_inputs_.harness_mxcsr = _mm_getcsr();
  run_inputs_.vector_init[0] = run_inputs_.vector_init[1] = options_.init_value;
  harness_code_->context() = block_code_->context() = run_inputs_;

  const std::span<const uint8_t> reference = options_.reference_instruction;
  if (reference.empty()) throw std::invalid_argument("the clock reference instruction is empty");
  std::tie(cal_a_, cal_b_) = unroll_factors(reference.size());
  std::tie(imul_a_, imul_b_) = unroll_factors(sizeof kImulCheck);
  std::tie(can_a_, can_b_) = unroll_factors(sizeof kCanary);
  std::tie(load_a_, load_b_) = unroll_factors(sizeof kLoadCanary);
  emit(kCalA, reference, cal_a_);
  emit(kCalB, reference, cal_b_);
  emit(kImulA, kImulCheck, imul_a_);
  emit(kImulB, kImulCheck, imul_b_);
  emit(kCanA, kCanary, can_a_);
  emit(kCanB, kCanary, can_b_);
  emit(kLoadA, kLoadCanary, load_a_);
  emit(kLoadB, kLoadCanary, load_b_);
  std::string reason;
  const uint64_t ticks = options_.target_ticks;
  cal_iterations_ = choose_iterations(kCalB, ticks / Options::kCalibrationTicksDivisor, &reason);
  if (cal_iterations_ == 0) throw std::runtime_error("calibration code failed: " + reason);
  canary_iterations_ = choose_iterations(kCanB, ticks / Options::kCanaryTicksDivisor, &reason);
  if (canary_iterations_ == 0) throw std::runtime_error("canary code failed: " + reason);
  load_iterations_ = choose_iterations(kLoadB, ticks / Options::kCanaryTicksDivisor, &reason);
  if (load_iterations_ == 0) throw std::runtime_error("load canary code failed: " + reason);
  imul_iterations_ = choose_iterations(kImulB, ticks, &reason);
  if (imul_iterations_ == 0) throw std::runtime_error("imul check code failed: " + reason);
  imul_check_iterations_ = std::max<uint64_t>(1, imul_iterations_ / Options::kCanaryTicksDivisor);
  if (trace_.on()) {
    std::tie(alu_a_, alu_b_) = unroll_factors(sizeof kAluCanary);
    emit(kAluA, kAluCanary, alu_a_);
    emit(kAluB, kAluCanary, alu_b_);
    alu_iterations_ = choose_iterations(kAluB, ticks / Options::kCanaryTicksDivisor, &reason);
    if (alu_iterations_ == 0) throw std::runtime_error("ALU canary code failed: " + reason);
  }

  // Start-up repetitions: the reference, the imul chain and both canaries.
  struct Repetition {
    CanaryCycles canaries;
    double imul_cycles, tsc_per_cycle;
  };
  std::vector<Repetition> reps;
  for (int i = 0; i < kBaselineRepetitions; ++i) {
    const uint64_t switches = context_switches();
    Pair cal = time_pair(kCalA, kCalB, cal_a_, cal_b_, cal_iterations_);
    if (!cal.ok || cal.ticks_per_iteration <= 0) continue;
    Pair imul = time_pair(kImulA, kImulB, imul_a_, imul_b_, imul_iterations_);
    Canaries c = time_canaries(cal.ticks_per_iteration);
    if (!c.ok || !imul.ok || imul.faulted || context_switches() != switches) continue;
    reps.push_back({c.cycles, imul.ticks_per_iteration / cal.ticks_per_iteration, cal.ticks_per_iteration});
  }
  if (reps.size() < kBaselineRepetitions / 2)
    throw StartError("could not time the canary blocks: start-up disturbed by other load", /*retryable=*/true);
  // The self-check: medians over the start-up repetitions (on a Zen 3 VM
  // the imul chain read 2.94-3.03 reference cycles in 36 of 40 repetitions;
  // the chains are latency-bound and steady).
  std::vector<double> imul_cycles, ratios;
  for (const Repetition& r : reps) {
    imul_cycles.push_back(r.imul_cycles);
    ratios.push_back(r.tsc_per_cycle);
  }
  reference_check_ = {median(imul_cycles), median(ratios)};
  // The canaries' undisturbed cost: a low quantile of the repetitions whose
  // reference agreed with the imul chain. Not the minimum: one timing can
  // also read low (an interrupt during its L_a run), and a baseline too low
  // would flag everything. Not the median: on a shared host
  // the SMT sibling can be busy half the time, and the twelve-idiom canary
  // then reads ~4 cycles in one repetition, ~2 in the next; a median
  // baseline would accept the contended half.
  std::vector<double> zero_idioms, loads;
  for (const Repetition& r : reps)
    if (std::abs(r.imul_cycles / reference_check_.imul_cycles - 1) <= kReferenceAgreement) {
      zero_idioms.push_back(r.canaries.zero_idioms);
      loads.push_back(r.canaries.loads);
    }
  if (zero_idioms.size() < 3) throw StartError("clock reference unsteady: disturbed by other load", true);
  canary_baseline_ = {quantile(zero_idioms, kCanaryBaselineQuantile), quantile(loads, kCanaryBaselineQuantile)};
  // A canary costs something: a baseline at or below zero (one start on a
  // Zen 5 guest read -0.84 cycles for the loads) would flag every repetition.
  if (canary_baseline_.zero_idioms <= 0 || canary_baseline_.loads <= 0)
    throw StartError("could not time the canary blocks: a baseline read zero or less (other load)", true);
  // The start's own (WorkerStarts takes it); each block lowers both
  // (lower_canary_baseline).
  stretch_baseline_ = canary_baseline_;
  // A reference the core runs faster than one per cycle (Intel Golden Cove
  // folds `add reg, imm8` at rename, ~6 per cycle) or slower would scale
  // every result: refuse instead of writing wrong numbers. A reading below 3,
  // or near 3 but outside the tolerance, is more likely other load than a
  // wrong reference: the harness tries again later before it refuses.
  const double error = std::abs(reference_check_.imul_cycles / kImulCycles - 1);
  if (error > kReferenceTolerance) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "clock reference failed its self-check: a dependent imul r64 chain reads %.2f reference cycles per "
                  "instruction, expected %.0f +-%.0f%% (TSC %.3f ticks per reference cycle)",
                  reference_check_.imul_cycles, kImulCycles, 100 * kReferenceTolerance, reference_check_.tsc_per_cycle);
    const bool retryable = reference_check_.imul_cycles < kImulCycles || error < kRetryableReferenceError;
    throw StartError(buf, retryable);
  }
}

// The longer loop cannot take less time: L_b below (1 - kRunAgreement) L_a means
// the a run was slowed. Seen on a Zen 5 guest under other load: L_a 2.6x its
// clean value in every clean repetition of a block for 20 attempts while L_b
// was clean (an imul chain read -3.8 cycles).
bool BlockTimer::grows_with_unrolling(const Pair& p) { return p.ticks_b >= (1 - kRunAgreement) * p.ticks_a; }

bool BlockTimer::canaries_disturbed(const CanaryCycles& c) const {
  const CanaryCycles& base = canary_baseline_;
  return over_baseline(c, base, options_.canary_tolerance) || c.zero_idioms < kCanaryFloor * base.zero_idioms ||
         c.loads < kCanaryFloor * base.loads;
}

void BlockTimer::lower_canary_baseline(const CanaryCycles& run) {
  canary_baseline_ = lower_of(lower_of(canary_baseline_, run), options_.quiet_canary);
  stretch_baseline_ =
      measure::stretch_baseline(stretch_baseline_, run, options_.quiet_canary, options_.stretch_record_bound);
}

BlockTimer::Canaries BlockTimer::canaries_of(const Pair& zero, const Pair& load, double ticks_per_cycle) {
  Canaries c;
  c.ok = zero.ok && load.ok && !zero.faulted && !load.faulted;
  c.cycles = {zero.ticks_per_iteration / ticks_per_cycle, load.ticks_per_iteration / ticks_per_cycle};
  return c;
}

BlockTimer::Canaries BlockTimer::time_canaries(double ticks_per_cycle) {
  Pair zero = time_pair(kCanA, kCanB, can_a_, can_b_, canary_iterations_);
  Pair load = time_pair(kLoadA, kLoadB, load_a_, load_b_, load_iterations_);
  return canaries_of(zero, load, ticks_per_cycle);
}

BlockTimer::~BlockTimer() = default;

uint64_t BlockTimer::code_begin() const { return block_code_->exec_begin(); }
uint64_t BlockTimer::code_end() const { return block_code_->exec_end(); }
int BlockTimer::code_fd() const { return block_code_->fd(); }

std::pair<uint32_t, uint32_t> BlockTimer::unroll_factors(size_t bytes) const {
  const uint64_t a0 = options_.unroll_a, b0 = options_.unroll_b;
  uint64_t a = std::max<uint64_t>(a0, (options_.min_unrolled_bytes + bytes - 1) / bytes);
  uint64_t b = (a * b0 + a0 - 1) / a0;  // same ratio as (a0, b0)
  if (b * bytes > options_.max_unrolled_bytes) {
    b = std::max<uint64_t>(2, options_.max_unrolled_bytes / bytes);
    a = std::max<uint64_t>(1, b * a0 / b0);
    if (a >= b) a = b - 1;
  }
  if (b * bytes > options_.max_unrolled_bytes) return {0, 0};
  return {static_cast<uint32_t>(a), static_cast<uint32_t>(b)};
}

void BlockTimer::emit(Slot slot, std::span<const uint8_t> body, uint32_t unroll, std::span<const RipDisplacement> rip) {
  const bool harness_code = slot < kBlockA;  // calibration and canaries keep equal registers in every layout
  TimedCodeSpec spec{body,
                     unroll,
                     options_.init_value,
                     has_avx_,
                     has_avx512_,
                     /*returns=*/harness_code,
                     /*register_stride=*/harness_code ? 0 : options_.register_stride(),
                     rip};
  CodeBuffer& code = buffer_of(slot);
  code.write(index_of(slot), emit_timed_code(spec, code.slot_address(index_of(slot)), code.context_address()));
}

// One timed run of `slot` with loop count `iterations`; ticks from RunContext.
// Trapping code (block slots) runs with FS base `block_fs`, returning code with
// the harness's (nullopt); `keeps_segment_bases`: see FaultGuard::run. Block
// runs start from freshly filled memory; the harness's own code only reads
// the stack page (the load canary), whatever it holds, and a refill before
// each of its runs cost 3% of a worker's time.
static Run run_once(CodeBuffer& code, BlockMemory& memory, FaultGuard& guard, const RunContext& inputs, size_t slot,
                    uint64_t iterations, std::optional<uint64_t> block_fs, bool keeps_segment_bases) {
  Run r;
  code.context() = inputs;
  code.context().iterations = iterations;
  if (block_fs) memory.reset();
  Fault fault;
  if (!guard.run(code, slot, /*allow_mapping=*/true, &fault, block_fs, keeps_segment_bases)) {
    r.reason = fault.describe();
    return r;
  }
  r.ok = true;
  r.faulted = guard.faults_in_last_run() > 0;
  r.ticks = code.context().ticks();
  return r;
}

uint64_t BlockTimer::run_ticks(Slot slot, uint64_t iterations, bool* faulted, std::string* reason) {
  Run r = run_once(buffer_of(slot), *memory_, *guard_, run_inputs_, index_of(slot), iterations, fs_of(slot),
                   keeps_segment_bases(slot));
  if (!r.ok) {
    *reason = r.reason;
    return 0;
  }
  if (faulted) *faulted = r.faulted;
  return r.ticks;
}

// Loop count M such that a run of `slot_b` lasts about target_ticks; 0 on a fault.
uint64_t BlockTimer::choose_iterations(Slot slot_b, uint64_t target_ticks, std::string* reason) {
  uint64_t best = std::numeric_limits<uint64_t>::max();
  for (int i = 0; i < 3; ++i) {  // the first run may fault pages in
    uint64_t t = run_ticks(slot_b, 1, nullptr, reason);
    if (t == 0 && !reason->empty()) return 0;
    best = std::min(best, std::max<uint64_t>(t, 1));
  }
  uint64_t m = std::clamp<uint64_t>(target_ticks / best, 1, kMaxIterations);
  // The M=1 run is dominated by fixed overhead for short bodies: correct once.
  uint64_t t = run_ticks(slot_b, m, nullptr, reason);
  if (t == 0 && !reason->empty()) return 0;
  if (t > 0 && t < target_ticks / 2)
    m = std::clamp<uint64_t>(static_cast<uint64_t>(static_cast<double>(m) * target_ticks / t), 1,
                             kMaxIterations);
  return m;
}

BlockTimer::Pair BlockTimer::time_pair(Slot a, Slot b, uint32_t unroll_a, uint32_t unroll_b, uint64_t iterations,
                                       bool b_first) {
  Pair p;
  auto run = [&](Slot s) {
    return run_once(buffer_of(s), *memory_, *guard_, run_inputs_, index_of(s), iterations, fs_of(s),
                    keeps_segment_bases(s));
  };
  Run first = run(b_first ? b : a);
  if (!first.ok) {
    p.reason = first.reason;
    return p;
  }
  Run second = run(b_first ? a : b);
  if (!second.ok) {
    p.reason = second.reason;
    return p;
  }
  const Run& ra = b_first ? second : first;
  const Run& rb = b_first ? first : second;
  p.ok = true;
  p.faulted = ra.faulted || rb.faulted;
  p.ticks_a = static_cast<double>(ra.ticks);
  p.ticks_b = static_cast<double>(rb.ticks);
  p.ticks_per_iteration = unrolled_difference(static_cast<double>(ra.ticks), static_cast<double>(rb.ticks), unroll_a,
                                              unroll_b, static_cast<double>(iterations));
  return p;
}

Measurement BlockTimer::measure(std::span<const uint8_t> block, std::span<const RipDisplacement> rip) {
  Measurement m;
  if (block.empty()) {
    m.reason = "empty block";
    return m;
  }
  // A worker whose block code runs slowly (Options::code_mode_share) is
  // replaced: its blocks, this one included, go to a fresh worker.
  auto code_mode = [&] {
    return options_.code_mode_share > 0 ? recent_repetitions_.code_mode(options_.code_mode_share) : std::nullopt;
  };
  auto give_up_in_code_mode = [&](double share) {
    char buf[240];
    std::snprintf(buf, sizeof buf,
                  "disturbed by this worker's block code: %.0f%% of its last %zu repetitions read the b run over "
                  "%.2f x b/a times the a run (a slow state of the worker, over %.0f%%; a fresh worker measures it)",
                  100 * share, recent_repetitions_.unrolling_size(), 1 + options_.unrolling_excess,
                  100 * options_.code_mode_share);
    m.reason = buf;
    m.retire_worker = true;
    trace_.block(block, m.attempts, 0, -1);
    return m;
  };
  if (const std::optional<double> share = code_mode()) return give_up_in_code_mode(*share);
  auto [ua, ub] = unroll_factors(block.size());
  if (ub == 0) {
    m.reason = "block too long (" + std::to_string(block.size()) + " bytes)";
    return m;
  }
  m.unroll_a = ua;
  m.unroll_b = ub;

  memory_->begin_block();
  block_keeps_segment_bases_ = !may_touch_segment_bases(block);
  emit(kBlockA, block, ua, rip);
  emit(kBlockB, block, ub, rip);
  std::string reason;
  uint64_t iterations = choose_iterations(kBlockB, options_.target_ticks, &reason);  // also the warm-up at b
  if (iterations == 0 || run_ticks(kBlockA, 1, nullptr, &reason) == 0) {
    m.reason = reason.empty() ? "timing failed" : reason;
    m.faulted_pages = static_cast<uint32_t>(memory_->faulted_pages());
    return m;
  }
  m.iterations = iterations;
  m.faulted_pages = static_cast<uint32_t>(memory_->faulted_pages());

  // Per clean repetition: L_a and L_b in core cycles, each converted with the
  // calibration of its own repetition (the core clock moves between
  // repetitions: 0.637 and 0.702 TSC ticks per cycle a second apart were seen
  // under KVM, and raw ticks with one median ratio read 10% low).
  std::vector<double> cycles, ratios, cycles_a, cycles_b;
  std::vector<double> clean_zero_idioms, clean_loads;  // the clean repetitions' canaries (Measurement::canaries)
  // L_a and L_b of flagged repetitions (minimum_stands' witnesses).
  std::vector<double> witnesses_a, witnesses_b;
  CanaryCycles worst;
  // How many repetitions each check flagged first (by verdict), for the reason.
  std::vector<std::pair<const char*, uint32_t>> flags;
  // A clean repetition's closing calibration opens the next one (they are
  // adjacent in time), with the context-switch count read just before it.
  std::optional<Pair> carried;
  uint64_t carried_switches = 0;
  // The minimum needs both series confirmed (two runs agreeing) and its
  // estimate agreeing with the repetitions' own differences (see
  // kAgreementFloorCycles), however many clean repetitions that takes,
  // within max_attempts.
  const bool by_minimum = options_.estimator == Options::Estimator::kMinimum;
  auto minimum_estimate = [&] {
    return unrolled_difference(confirmed_minimum(cycles_a, kRunAgreement), confirmed_minimum(cycles_b, kRunAgreement),
                               ua, ub, static_cast<double>(iterations));
  };
  // The figure, once the checks above accept the minima: from the runs
  // each series' confirmed minimum stands for (measure v16).
  auto floor_estimate = [&] {
    return unrolled_difference(confirmed_floor(cycles_a, kRunAgreement), confirmed_floor(cycles_b, kRunAgreement), ua,
                               ub, static_cast<double>(iterations));
  };
  auto confirmed = [&] {
    return !by_minimum ||
           (estimates_agree(minimum_estimate(), confirmed_minimum(cycles, kRunAgreement), kRunAgreement,
                            kAgreementFloorCycles) &&
            minimum_stands(cycles_a, kRunAgreement, kLoneLowGap, kLoneLowSupport, witnesses_a, kRefutingLowGap) &&
            minimum_stands(cycles_b, kRunAgreement, kLoneLowGap, kLoneLowSupport, witnesses_b, kRefutingLowGap));
  };
  // The canaries' medians when the worker's repetitions before this block
  // read a stretch of contention (Options::stretch_tolerance).
  const std::optional<CanaryCycles> stretch =
      options_.stretch_tolerance > 0 ? recent_repetitions_.stretch(options_.stretch_tolerance) : std::nullopt;
  const size_t stretch_held = recent_repetitions_.size();
  while ((cycles.size() < options_.repetitions || !confirmed()) && m.attempts < options_.max_attempts) {
    ++m.attempts;
    // The calibration before and after, the zero-idiom canary before the
    // block and the load canary after it: both bracket the block in time.
    uint64_t switches = carried_switches;
    Pair cal;
    if (carried) {
      cal = *std::exchange(carried, std::nullopt);
    } else {
      switches = context_switches();
      cal = time_pair(kCalA, kCalB, cal_a_, cal_b_, cal_iterations_);
    }
    Pair zero = time_pair(kCanA, kCanB, can_a_, can_b_, canary_iterations_);
    Pair blk = time_pair(kBlockA, kBlockB, ua, ub, iterations, run_order_() & 1);
    if (!blk.ok) {  // deterministic until now, so a fault here is the block's
      m.reason = blk.reason;
      return m;
    }
    Pair alu;  // the trace's ALU canary, beside the block
    if (trace_.on()) alu = time_pair(kAluA, kAluB, alu_a_, alu_b_, alu_iterations_);
    Pair load = time_pair(kLoadA, kLoadB, load_a_, load_b_, load_iterations_);
    Pair imul = time_pair(kImulA, kImulB, imul_a_, imul_b_, imul_check_iterations_);
    const uint64_t switches_before_close = context_switches();
    Pair cal_after = time_pair(kCalA, kCalB, cal_a_, cal_b_, cal_iterations_);
    // The first check a repetition fails names it (RepetitionTrace's verdict).
    const char* verdict = nullptr;
    // The repetition's clock: its canaries in cycles are worth a window's
    // reading (recent_repetitions_) only when these hold.
    const bool switched = context_switches() != switches;
    const bool calibration_failed =
        !cal.ok || !cal_after.ok || cal.ticks_per_iteration <= 0 || cal.faulted || cal_after.faulted;
    const bool drift = !calibration_failed &&
                       std::abs(cal_after.ticks_per_iteration / cal.ticks_per_iteration - 1) > kCalibrationDrift;
    const double tsc_per_cycle = (cal.ticks_per_iteration + cal_after.ticks_per_iteration) / 2;
    const bool off_band = std::abs(tsc_per_cycle / reference_check_.tsc_per_cycle - 1) > kClockBand;
    if (switched)
      verdict = "context switch";
    else if (calibration_failed)
      verdict = "calibration failed";
    else if (blk.faulted)
      verdict = "block faulted";
    else if (!grows_with_unrolling(blk))
      verdict = "b run not longer";
    else if (!within_unrolling_ratio(blk.ticks_a, blk.ticks_b, ua, ub, options_.unrolling_excess))
      verdict = kOverUnrollingRatio;
    else if (drift)
      verdict = "calibration drift";
    if (!switched && !calibration_failed && !blk.faulted)
      recent_repetitions_.add_unrolling(verdict == kOverUnrollingRatio);
    if (!verdict && off_band) verdict = "clock band";
    const double imul_cycles = tsc_per_cycle > 0 ? imul.ticks_per_iteration / tsc_per_cycle : 0;
    if (!verdict && (!imul.ok || imul.faulted || std::abs(imul_cycles / kImulCycles - 1) > kImulRepetitionTolerance))
      verdict = "imul check";
    const Canaries c = tsc_per_cycle > 0 ? canaries_of(zero, load, tsc_per_cycle) : Canaries{};
    if (c.ok && !switched && !calibration_failed && !drift && !off_band && stretch_baseline_.zero_idioms > 0 &&
        stretch_baseline_.loads > 0)
      recent_repetitions_.add(
          {c.cycles.zero_idioms / stretch_baseline_.zero_idioms, c.cycles.loads / stretch_baseline_.loads});
    if (!verdict) {
      worst.zero_idioms = std::max(worst.zero_idioms, c.cycles.zero_idioms);
      worst.loads = std::max(worst.loads, c.cycles.loads);
      if (!c.ok || canaries_disturbed(c.cycles)) verdict = "canaries";
    }
    if (trace_.on() && tsc_per_cycle > 0)
      trace_.repetition(block, {.attempt = m.attempts,
                                .unroll_a = ua,
                                .unroll_b = ub,
                                .iterations = iterations,
                                .calibration_before = cal.ticks_per_iteration,
                                .calibration_after = cal_after.ticks_per_iteration,
                                .imul = imul_cycles,
                                .zero_idioms = c.cycles.zero_idioms,
                                .loads = c.cycles.loads,
                                .cycles_a = blk.ticks_a / tsc_per_cycle,
                                .cycles_b = blk.ticks_b / tsc_per_cycle,
                                .difference = blk.ticks_per_iteration / tsc_per_cycle,
                                .verdict = verdict ? verdict : "clean",
                                .zero_idioms_loop = unrolled_intercept(zero.ticks_a, zero.ticks_b, can_a_, can_b_,
                                                                       static_cast<double>(canary_iterations_)) /
                                                    tsc_per_cycle,
                                .loads_loop = unrolled_intercept(load.ticks_a, load.ticks_b, load_a_, load_b_,
                                                                 static_cast<double>(load_iterations_)) /
                                              tsc_per_cycle,
                                .alu = alu.ok ? alu.ticks_per_iteration / tsc_per_cycle : 0});
    if (verdict) {
      ++m.disturbed;
      if (verdict == kOverUnrollingRatio) ++m.unrolling_flagged;
      auto flag = std::find_if(flags.begin(), flags.end(), [&](const auto& f) { return f.first == verdict; });
      if (flag == flags.end())
        flags.emplace_back(verdict, 1);
      else
        ++flag->second;
      // The block's runs still witness lows, in cycles by the lower of the
      // repetition's calibrations (other load only inflates a calibration)
      // when that one is near the worker's start-up ratio.
      double lower = 0;
      for (const Pair* calibration : {&cal, &cal_after})
        if (calibration->ok && !calibration->faulted && calibration->ticks_per_iteration > 0 &&
            (lower == 0 || calibration->ticks_per_iteration < lower))
          lower = calibration->ticks_per_iteration;
      if (!blk.faulted && lower > 0 && std::abs(lower / reference_check_.tsc_per_cycle - 1) <= kClockBand) {
        witnesses_a.push_back(blk.ticks_a / lower);
        witnesses_b.push_back(blk.ticks_b / lower);
      }
      continue;
    }
    carried = cal_after;
    carried_switches = switches_before_close;
    ratios.push_back(tsc_per_cycle);
    cycles.push_back(blk.ticks_per_iteration / tsc_per_cycle);
    cycles_a.push_back(blk.ticks_a / tsc_per_cycle);
    cycles_b.push_back(blk.ticks_b / tsc_per_cycle);
    clean_zero_idioms.push_back(c.cycles.zero_idioms);
    clean_loads.push_back(c.cycles.loads);
  }
  m.faulted_pages = static_cast<uint32_t>(memory_->faulted_pages());
  if (const std::optional<double> share = code_mode()) return give_up_in_code_mode(*share);
  const size_t needed = (options_.repetitions + 1) / 2;
  if (cycles.size() < needed || !confirmed()) {
    // Named after the check that flagged the most repetitions: when that is
    // the unrolling ratio, the block's own runs are as likely the cause.
    const auto most =
        std::max_element(flags.begin(), flags.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
    char most_flags[80] = "";
    if (most != flags.end()) std::snprintf(most_flags, sizeof most_flags, ", %u for %s", most->second, most->first);
    char buf[300];
    std::snprintf(
        buf, sizeof buf,
        "disturbed by %s: %u of %u repetitions flagged%s%s (canaries up to %.2f/%.2f cycles, clean "
        "%.2f/%.2f)",
        most != flags.end() && most->first == kOverUnrollingRatio ? "its own runs or other load" : "other load",
        m.disturbed, m.attempts, most_flags, confirmed() ? "" : ", no two runs agreeing", worst.zero_idioms,
        worst.loads, canary_baseline_.zero_idioms, canary_baseline_.loads);
    m.reason = buf;
    trace_.block(block, m.attempts, static_cast<uint32_t>(cycles.size()), -1);
    return m;
  }
  if (stretch) {
    char buf[260];
    std::snprintf(buf, sizeof buf,
                  "disturbed by other load: the canaries read a median %.3fx/%.3fx their clean cost over the "
                  "worker's last %zu repetitions before this block (a stretch of contention: over %.2fx, or both "
                  "over %.3fx)",
                  stretch->zero_idioms, stretch->loads, stretch_held, options_.stretch_tolerance,
                  RecentRepetitions::joint_tolerance(options_.stretch_tolerance));
    m.reason = buf;
    trace_.block(block, m.attempts, static_cast<uint32_t>(cycles.size()), -1);
    return m;
  }
  m.tsc_per_cycle = median(ratios);
  const double per_iteration = by_minimum ? floor_estimate() : median(cycles);
  if (per_iteration < -0.05) {  // noise around zero is tolerated, a clearly negative cost is not
    m.reason = "inconsistent timing: L_b < L_a";
    trace_.block(block, m.attempts, static_cast<uint32_t>(cycles.size()), -1);
    return m;
  }
  m.throughput = 100.0 * std::max(0.0, per_iteration);
  m.canaries = {median(clean_zero_idioms), median(clean_loads)};
  trace_.block(block, m.attempts, static_cast<uint32_t>(cycles.size()), *m.throughput);
  return m;
}

}  // namespace surrogate::measure
