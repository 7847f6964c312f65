#include "measure/measure_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "measure/estimate.h"
#include "measure/harness.h"
#include "measure/host_info.h"
#include "measure/quiet_canary_record.h"
#include "measure/retry_schedule.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/progress.h"
#include "util/result_journal.h"

namespace surrogate::measure {
namespace {

std::string format_throughput(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", t);
  return buf;
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Hosts on which the known-answer tests (harness_test.cc: add chain 1.00,
// imul chain 3.00, zero idioms free, independent adds overlap, chains under
// deliberate other load within 5%) passed, as "vendor family model", with
// the method version (job_fingerprint) they passed with.
nlohmann::json known_answer_hosts() {
  return {
      "AuthenticAMD family 26 model 2 (Zen 5, 'Oxide Virtual Turin-like', Firecracker, no rdtscp or FSGSBASE in "
      "CPUID): measure v24, this method (v23 with the stretch window's baseline lowered by the quiet record only to "
      "1.12x it; BENCHMARKS.md section 47), v23 (v22 with a block's figure the mean of its agreeing passes; "
      "section 46), v22 (v21 with a block's passes on two worker processes; section 46), v21 (v20 with a stretch of "
      "contention read at 1.06x for either canary's "
      "median or 1.03x for both; section 45), v20 (v19 with a worker replaced when over half its last "
      "200 repetitions read "
      "the b run over the unrolling ratio, and every block judged by the run's canary baseline over all its worker "
      "starts; section 44), v19 (v18 with a block given up when the worker's last 200 repetitions "
      "read a canary's median over 1.12x its clean cost; section 43), v18 (v17 with a block given up over "
      "the unrolling ratio in two rounds 5 s apart measured without that check; section 42), v17 (v16 with a "
      "repetition whose b run reads over 1.1 x b/a times its a run disturbed; section 41), v16 (v15 with a block's "
      "figure from the mean of the runs at each series' confirmed minimum; section 40), v15 (v14 with a block's "
      "figure confirmed by two passes and a far low clean run refuting a series' minimum; section 39), v14 (v13 "
      "with the block runs of flagged repetitions as witnesses of a series' low; section 38), and v13, with and "
      "without surrogate_other_load and with a "
      "compiler beside the known chains under deliberate other load; v8 too (section 33)",
      "GenuineIntel family 6 model 207 (Emerald-Rapids-class under KVM, AVX-512 without AMX): measure v13 "
      "(v12 with an imul chain checked in every repetition; v12: v11 with a series' lone low "
      "run settled; BENCHMARKS.md section 37), v11 (v10 with the minimum estimate agreeing with the "
      "repetitions' own differences; section 36), v10 (v9 with RIP-relative targets aligned where an "
      "instruction needs them; section 35), and v9 (v8 with 3 clean repetitions per block and pass "
      "instead of 5, and up to 2 more passes for a block with one pass over 5% slower than its fastest), "
      "with and without surrogate_other_load while other tenants loaded the host (section 34); v8 too (section 33); "
      "not yet v14 to v24",
      "GenuineIntel family 6 model 167 (Sapphire-Rapids-class under KVM): measure v5 (v7 without the canary "
      "floor and with the second smallest run as the confirmed minimum; rdtscp and wrfsbase), not yet v9",
      "AuthenticAMD family 25 model 1 (Zen 3, EPYC under KVM): measure v4 (imul chain timed in each "
      "repetition, one calibration per repetition, ud2 end marker), not yet v9",
      "AuthenticAMD family 25 model 17 (Zen 4, EPYC under KVM): the first method (add rax,1 reference), "
      "not yet v9"};
}

// The method's name and version, in the journal fingerprint. v24: v23 with
// the stretch window judged against the run's start-up baseline lowered by
// the host's quiet record only to Options::stretch_record_bound x it (a
// record 6% under a quiet Intel run's loads canary read every worker as a
// stretch). v23: v22 with
// a block's figure the mean of its agreeing passes, not the fastest
// (estimate.h, pass_figure). v22: v21 with
// a batch's passes alternating between worker processes (Harness), and a
// second mode only where passes of two processes read it. v21: v20 with
// a stretch of contention read at Options::stretch_tolerance 1.06 instead
// of 1.12, or at 1.03 for both canaries at once (milder kinds of
// contention wrote fast blocks 10-50% slow; recent_repetitions.h). v20:
// v19 with
// a block given up as disturbed, and its worker replaced, when over
// Options::code_mode_share of the worker's last repetitions read the b run
// over the unrolling ratio (a worker whose block code runs slowly,
// recent_repetitions.h); every round of a job judged by the canary
// baseline of all its worker starts, not the round's own (worker_starts.h);
// and every measured block judged again after each round against that
// baseline (kRejudgeMargin). v19: v18 with
// a block given up as disturbed when the worker's repetitions before it read
// the canaries' median over Options::stretch_tolerance (a stretch of
// contention, recent_repetitions.h). v18: v17 with
// a block given up over the unrolling ratio in two rounds at least
// JobOptions::unrolling_recheck_seconds apart measured without that check;
// every other block as v17. v17: v16 with
// a repetition whose b run reads over 1.1 x b / a times its a run flagged
// (estimate.h, within_unrolling_ratio). v16: v15 with
// a block's figure from its series' confirmed floors (estimate.h,
// confirmed_floor) instead of their confirmed minima; which blocks are
// measured, and when, is v15's. v15: v14 with
// a block's fastest pass confirmed by a second when its passes are more
// than kTwoModeGap apart, else no figure (estimate.h, pass_figure); a
// block with one pass measured and another given up measured in more
// passes, and given up if none confirms it (Harness); and a clean run more
// than 10% below its series' confirmed minimum refuting it (minimum_stands'
// refuting_gap). v14: v13 with
// the block runs of flagged repetitions as witnesses of a series' low
// (estimate.h, minimum_stands). v13: v12 with
// the imul chain timed in every repetition and held to 3 cycles within 4%
// by the repetition's own calibration (BlockTimer). v12: v11 with
// a series' lone low run settled by more runs before its confirmed minimum
// is used (estimate.h, minimum_stands). v11: v10 with
// the minimum estimate taken only when it agrees with the confirmed minimum
// of the repetitions' own differences (BlockTimer::measure). v10: v9 with
// each RIP-relative target that an instruction needs aligned (movaps,
// paddd, vmovdqa...) aligned (timed_code.h).
constexpr const char* kMethod = "measure v24";
// The canaries and their runs are v9's: the quiet canary record is kept
// under that name, so each later method starts from the record v9 on left.
constexpr const char* kCanaryMethod = "measure v9";

// What the quiet canary record is kept per: the method and the length of the
// timed runs. The canaries' cycles per iteration depend on their run length
// (twelve zero idioms read 1.95-1.98 cycles at full length, 2.09-2.13 at a
// quarter, on a Zen 5 guest), so a record of another length is not this one's.
std::string canary_record_method(const Options& o) { return std::string(kCanaryMethod) + " ticks=" + o.run_lengths(); }

// A block that cannot disturb the checks itself: four dependent
// `add rax, rbx`, no memory, nothing the canaries or the clock reference
// share. Its flagged repetitions are the host's load.
const std::vector<uint8_t> kLoadProbe = {0x48, 0x01, 0xD8, 0x48, 0x01, 0xD8, 0x48, 0x01, 0xD8, 0x48, 0x01, 0xD8};

// Journal notes: "tsc=<ratio>" for a measured block, followed by
// " over_unrolling_ratio" when measured without that check and by
// " other_mode=<throughput>" when its passes read two modes; else the reason.
constexpr const char* kRatioNote = "tsc=";
constexpr const char* kOtherModeNote = " other_mode=";
constexpr const char* kOwnRatioNote = " over_unrolling_ratio";

// The slower mode in a measured block's journal note, or empty.
std::string other_mode_of(const util::JournalEntry& e) {
  const size_t at = e.note.find(kOtherModeNote);
  return at == std::string::npos ? "" : e.note.substr(at + std::strlen(kOtherModeNote));
}

// Given up because the canaries saw other load (worth measuring again later).
bool is_disturbed(const util::JournalEntry& e) { return e.value.empty() && e.note.rfind("disturbed", 0) == 0; }

using Clock = std::chrono::steady_clock;

// Seconds until every block of `left` is `recheck_seconds` past the time it
// was first given up over the unrolling ratio (`since`); 0 when one never was.
double seconds_until_recheck(const std::vector<size_t>& left,
                             const std::unordered_map<size_t, Clock::time_point>& since, double recheck_seconds) {
  double until = 0;
  for (size_t i : left) {
    auto it = since.find(i);
    if (it == since.end()) return 0;
    until = std::max(until, recheck_seconds - std::chrono::duration<double>(Clock::now() - it->second).count());
  }
  return until;
}

// The wait before a retry round for other load to pass: `wait` when the
// round's given-up blocks met other load (met_other_load) and kLoadProbe,
// measured now, does too; else 0, and `why` says what showed no load.
double load_pause(Harness& harness, uint64_t flagged_repetitions, uint64_t given_up_repetitions, double wait,
                  std::string* why) {
  std::ostringstream s;
  if (!met_other_load(flagged_repetitions, given_up_repetitions)) {
    s << " (" << flagged_repetitions << " of " << given_up_repetitions
      << " of their repetitions flagged: their own runs disagree)";
  } else if (const Measurement probe = harness.measure({kLoadProbe}).front();
             probe.measured() && !met_other_load(probe.disturbed, probe.attempts)) {
    s << " (" << flagged_repetitions << " of " << given_up_repetitions << " of their repetitions flagged, "
      << probe.disturbed << " of " << probe.attempts << " of a probe block's: no load now)";
  } else {
    return wait;
  }
  *why = s.str();
  return 0;
}

nlohmann::json metadata(const Options& options, const Harness& harness, const JobOptions& job,
                        const JobSummary& summary, const std::vector<double>& ratios, const CanaryCycles& run_canary,
                        const CanaryCycles& quiet, size_t quiet_runs, const nlohmann::json& two_modes,
                        const nlohmann::json& own_ratio_blocks) {
  const HostInfo& h = harness.host();
  char two_modes_rule[600];
  std::snprintf(two_modes_rule, sizeof two_modes_rule,
                "a block with a clean pass (each a confirmed minimum) more than %g%% above its fastest is measured in "
                "up to %u more passes; its CSV throughput is then the mean of the passes within %g%% of the fastest "
                "when a second pass confirms it so (else the block is given up as disturbed), and when passes of two "
                "worker processes "
                "agree on a figure more than %g%% above that, the block ran in two modes: other_mode is the slower "
                "mode",
                100 * kTwoModeGap, kModePasses, 100 * kModeAgreement, 100 * kTwoModeGap);
  char init[32], mxcsr[16], distinct_registers[160];
  std::snprintf(init, sizeof init, "0x%llx", static_cast<unsigned long long>(options.init_value));
  std::snprintf(mxcsr, sizeof mxcsr, "0x%04x", options.mxcsr());
  std::snprintf(distinct_registers, sizeof distinct_registers,
                "GPR number r (rax=0 ... r15=15) but rsp = init value + r x 0x%llx, rsp 0x%llx into its page; each "
                "64-bit lane of xmm0-15 = init value",
                static_cast<unsigned long long>(Options::kRegisterStride),
                static_cast<unsigned long long>(options.rsp_page_offset()));
  return {
      {"tool", "surrogate measure"},
      {"version", job.tool_version},
      {"date", now_utc()},
      {"throughput_unit", "cycles per 100 iterations"},
      {"inputs", job.inputs},
      {"cpu",
       {{"vendor", h.vendor},
        {"family", h.family},
        {"model", h.model},
        {"stepping", h.stepping},
        {"brand", h.brand},
        {"identity", h.identity()},
        {"hypervisor", h.hypervisor},
        {"invariant_tsc", h.invariant_tsc}}},
      {"method",
       {{"timer", "lfence; rdtsc; unroll-and-difference (L_b - L_a) / ((b - a) M), in core cycles"},
        {"unroll_factors", {options.unroll_a, options.unroll_b}},
        {"min_unrolled_bytes", options.min_unrolled_bytes},
        {"max_unrolled_bytes", options.max_unrolled_bytes},
        {"target_ticks_per_run", options.target_ticks},
        {"harness_runs", "calibration runs last 1/" + std::to_string(Options::kCalibrationTicksDivisor) +
                             " and canary runs 1/" + std::to_string(Options::kCanaryTicksDivisor) +
                             " of target_ticks_per_run"},
        {"plausibility",
         "a reading faster than 16 instructions per cycle (8 macro-ops renamed per cycle, two instructions per "
         "fused macro-op) is a misreading: measured again in the next round, then left unmeasured"},
        {"repetitions", options.repetitions},
        {"passes", options.passes},
        {"pass_workers",
         "a batch's next pass goes to another worker process: another CPU's when one is free, else a second "
         "process on the same CPU, so each block's passes come from two processes: one slow all through, every "
         "check quiet, does not confirm its own reading"},
        {"max_attempts", options.max_attempts},
        {"estimate", options.estimator_name() + "; the mean of the passes within 5% of the fastest (or within 2% when "
                                                "a pass reads over 5% slower and a second confirms the fastest)"},
        {"calibration",
         "dependent add rax,rbx chain (register-register add: 1 cycle on AMD and Intel; Intel Golden "
         "Cove and later fold add reg,imm8 at rename), timed before and after the block in every repetition; "
         "a repetition whose two readings differ by more than 2%, during which the worker was context-switched, "
         "or whose b run read shorter than its a run or longer than " +
             std::to_string(1 + options.unrolling_excess).substr(0, 4) +
             " x b/a times it (the two in random order; both pay the same loop cost per iteration) is disturbed "
             "(but see over_unrolling_ratio)"},
        {"reference_self_check",
         {{"rule",
           "at every worker start a dependent imul r64 chain must read 3 reference cycles per instruction "
           "(+-10%), else measure refuses; in every repetition a quarter-length imul chain, converted with "
           "the repetition's own calibration, must read 3 within 4%, else the repetition is disturbed (a "
           "second reference of another latency, and a canary for the imul port)"},
          {"imul_chain_cycles", harness.reference_check().imul_cycles},
          {"tsc_ticks_per_reference_cycle", harness.reference_check().tsc_per_cycle}}},
        {"known_answer_tests_passed_on", known_answer_hosts()},
        {"canaries",
         "twelve zero idioms and three independent loads, timed in every repetition; baseline: 20th "
         "percentile of a worker's start-up repetitions whose reference agreed with the imul chain, 20th "
         "percentile over the run's worker starts, or the host's quiet record where lower; a repetition "
         "is disturbed when a canary reads above canary_tolerance x or below 0.8 x its baseline (below: the "
         "clock reference read slow), or its clock ratio is more than 25% off the worker's start-up ratio"},
        {"canary_tolerance", options.canary_tolerance},
        {"stretch",
         {{"rule",
           "a block is given up as disturbed (and measured again in a later round) when the worker's last "
           "repetitions before it, those whose calibration held, read either canary's median over tolerance x "
           "its baseline, or both over (1 + tolerance) / 2 x theirs: a stretch of sustained contention (a busy SMT "
           "sibling), in which the repetitions that "
           "pass the canary check are lucky, not undisturbed; judged once half the window is held; the baseline "
           "here is the run's over its worker starts, lowered by the quiet record only to record_bound x it"},
          {"repetitions", options.stretch_repetitions},
          {"tolerance", options.stretch_tolerance},
          {"record_bound", options.stretch_record_bound}}},
        {"code_mode",
         {{"rule",
           "a block is given up as disturbed (and measured again by a fresh worker) and its worker replaced when, "
           "of the worker's last repetitions (stretch repetitions) whose calibration held and block run did not "
           "fault, over share read the b run over the unrolling ratio: a worker whose block code runs slowly for "
           "its whole life (one in a few hundred on a Zen 5 guest); judged once half the window is held"},
          {"share", options.code_mode_share}}},
        {"canary_baseline_cycles",
         {{"this_run", {{"zero_idioms", run_canary.zero_idioms}, {"loads", run_canary.loads}}},
          {"quiet_record", {{"zero_idioms", quiet.zero_idioms}, {"loads", quiet.loads}}},
          {"quiet_record_runs", quiet_runs},
          {"rule",
           "repetitions judged against the lower of this run's baseline (over all its worker starts) and the quiet "
           "record (the 25th percentile of the last runs' baselines on this host, kept in the user's state "
           "directory); after each round every measured block is judged again against that baseline, its clean "
           "repetitions' median canaries over 1.05 x canary_tolerance x it measured again"},
          {"rejudge_margin", kRejudgeMargin}}},
        {"rip_relative",
         "each unrolled copy's RIP-relative displacements patched to reach the first copy's targets; the targets "
         "moved together by up to 7 bytes so that most are 8-byte aligned, or, where that leaves one an "
         "instruction needs aligned (legacy SSE 16-byte operands, vmovaps/vmovdqa/vmovnt*) misaligned, by up to "
         "63 bytes so that the most such are aligned (v10)"},
        {"init_value", init},
        {"memory_layout", options.memory_layout_name()},
        {"registers",
         std::string(options.memory_layout == Options::MemoryLayout::kDistinct
                         ? distinct_registers
                         : "GPRs but rsp and each 64-bit lane of xmm0-15 = init value") +
             ", upper bits of ymm/zmm0-15 zero "
             "(vzeroupper), zmm16-31 and k0-k7 zero on AVX-512 hosts, at every loop iteration; x87 fninit; "
             "FS base = init value (TLS accesses reach block memory), GS base 0"},
        {"memory",
         options.memory_layout == Options::MemoryLayout::kDistinct
             ? "every page its own 4 KiB page filled with the init value; pages mapped on fault; distinct base "
               "registers reach distinct pages at distinct 256-byte page offsets (no aliasing between them)"
             : "every page one shared 4 KiB page filled with the init value; pages mapped on fault; every base "
               "register holds the same address, so all memory operands alias at page offset 0 (BHive's "
               "method)"},
        {"denormal_policy", options.denormal_policy()},
        {"mxcsr", mxcsr},
        {"max_faulted_pages", options.max_faulted_pages},
        {"batch_size", options.batch_size},
        {"worker_blocks", options.worker_blocks},
        {"jobs", harness.jobs()},
        {"measuring_cpus",
         {{"cpus", harness.cpus()},
          {"rule",
           "by default one worker thread per physical core (one logical CPU each, SMT siblings idle) and, on a "
           "hybrid part, only on its most performant kind of core (hwloc)"},
          {"left_idle", harness.cpu_note()}}},
        {"block_timeout_seconds", options.block_timeout_seconds}}},
      {"tsc_ticks_per_core_cycle",
       {{"median", summary.tsc_per_cycle},
        {"p05", ratios.empty() ? 0.0 : quantile(ratios, 0.05)},
        {"p95", ratios.empty() ? 0.0 : quantile(ratios, 0.95)}}},
      {"blocks",
       {{"rows", summary.blocks},
        {"distinct", summary.distinct},
        {"measured", summary.measured},
        {"unmeasurable", summary.distinct - summary.measured},
        {"measured_again_after_other_load", summary.retried},
        {"coverage", summary.distinct ? static_cast<double>(summary.measured) / summary.distinct : 0.0}}},
      {"retry_rounds",
       {{"rule",
         "blocks given up as disturbed by other load are measured again in rounds after waits of 1, 2, 4, ... s "
         "(at once when the host shows no load) until schedule_seconds of waits are spent; past it, at the longest "
         "of those waits, while each round measures at least half, and at least ten, of its blocks"},
        {"schedule_seconds", job.disturbed_retry_seconds},
        {"rounds", summary.retry_rounds},
        {"past_schedule", summary.retry_rounds_past_budget}}},
      {"two_modes", {{"rule", two_modes_rule}, {"count", summary.two_modes}, {"blocks", two_modes}}},
      {"over_unrolling_ratio",
       {{"rule", "a block given up with its b runs over " + std::to_string(1 + options.unrolling_excess).substr(0, 4) +
                     " x b/a times its a runs in two rounds at least " +
                     std::to_string(job.unrolling_recheck_seconds).substr(0, 4) +
                     " s apart reads so by its own copies (they walk memory and go further at b), not by an event "
                     "of the host (those seen last 1-2 s): measured once more without that check"},
        {"count", summary.over_unrolling_ratio},
        {"blocks", own_ratio_blocks}}},
  };
}

}  // namespace

std::string job_fingerprint(const std::vector<JobBlock>& blocks, const Options& o) {
  std::ostringstream s;
  s << kMethod << " " << host_info().identity() << " reference=" << util::to_hex(o.reference_instruction)
    << " unroll=" << o.unroll_a << "/" << o.unroll_b << " min=" << o.min_unrolled_bytes
    << " cap=" << o.max_unrolled_bytes << " reps=" << o.repetitions << "x" << o.passes << " ticks=" << o.run_lengths()
    << " init=" << o.init_value << " mxcsr=" << o.mxcsr() << " est=" << static_cast<int>(o.estimator)
    << " tol=" << o.canary_tolerance << " stretch=" << o.stretch_repetitions << "/" << o.stretch_tolerance << "/"
    << o.stretch_record_bound << " excess=" << o.unrolling_excess << " mode=" << o.code_mode_share
    << " memory=" << o.memory_layout_name() << "\n";
  for (const JobBlock& b : blocks) s << (b.bad_row ? "!" + b.hex_column : util::to_hex(b.bytes)) << "\n";
  return util::fingerprint_of(s.str());
}

bool met_other_load(uint64_t flagged_repetitions, uint64_t repetitions) {
  return static_cast<double>(flagged_repetitions) >= kLoadedShare * static_cast<double>(repetitions);
}

JobSummary run_measure_job(const std::vector<JobBlock>& blocks, const Options& options, const JobOptions& job,
                           std::ostream& log) {
  // Repetitions are judged against the host's quiet canary record where it
  // is lower than this run's own start-up baseline (quiet_canary_record.h).
  QuietCanaryRecord record(host_info().identity(), canary_record_method(options));
  Options judged = options;
  judged.quiet_canary = record.quiet();
  Harness harness(judged);  // refuses unsupported hosts
  if (!harness.cpu_note().empty()) log << "surrogate measure: " << harness.cpu_note() << "\n";
  JobSummary summary;
  summary.blocks = blocks.size();

  // Distinct blocks: the first occurrence of each is its representative and
  // the journal's key.
  std::vector<size_t> first_of(blocks.size());
  std::vector<size_t> distinct;
  {
    std::unordered_map<std::string, size_t> seen;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].bad_row) continue;
      auto [it, fresh] = seen.emplace(util::to_hex(blocks[i].bytes), i);
      first_of[i] = it->second;
      if (fresh) distinct.push_back(i);
    }
  }
  summary.distinct = distinct.size();

  util::ResultJournal journal(job.output, job_fingerprint(blocks, options));
  std::unordered_map<size_t, util::JournalEntry> done;
  std::vector<size_t> todo;
  for (size_t i : distinct) {
    auto it = journal.finished().find(i);
    // Blocks given up because of other load on the host get another chance.
    if (it != journal.finished().end() && !is_disturbed(it->second)) {
      done[i] = it->second;
      ++summary.resumed;
    } else {
      todo.push_back(i);
    }
  }

  util::Progress progress("measure", summary.distinct, summary.resumed);
  auto t0 = std::chrono::steady_clock::now();
  // One round measures `todo`; blocks disturbed by other load go to the next
  // round, after a wait that doubles each time (the load comes in bursts of
  // seconds on shared hosts). The schedule of rounds is fixed by those waits
  // (JobOptions::disturbed_retry_seconds; past it, while rounds measure half
  // of what they take: retry_schedule.h), but a round starts at once when
  // the host shows no load: when the checks saw little in the round before
  // (met_other_load), what gave its blocks up was their own runs (on a Zen 5
  // guest, 2-5 blocks of 10,001 with 18-19 of 20 repetitions clean and no
  // two runs agreeing kept a run waiting 63 s, none recovered); when they
  // saw more, kLoadProbe measured once tells the host's load from a
  // block's own (118 BHive blocks flagged the checks in most of their
  // repetitions on a quiet host too: calibration drift after the block,
  // slowed canaries; their runs waited 63 s for nothing).
  RetrySchedule schedule(job.disturbed_retry_seconds);
  std::unordered_set<size_t> misread;  // blocks that read faster than any core runs them, once
  // Blocks given up over the unrolling ratio, and when each first was; those
  // given up so again JobOptions::unrolling_recheck_seconds later read so by
  // their own copies (`own_ratio`): the next round measures them with
  // `unbounded`, a harness without that check.
  std::unordered_map<size_t, Clock::time_point> over_ratio_since;
  // Blocks measured in this job, with their clean repetitions' canaries:
  // judged again after each round by the run's baseline then (a start on a
  // quieter core lowers it; worker_starts.h). A job that starts while
  // another tenant shares the core judges its first blocks by a contended
  // baseline when it has no quiet record: on a Zen 5 guest its first worker
  // wrote 61 fast blocks 1.15-2.02x slow, its clean repetitions' canaries at
  // 1.38x and 1.28x the baseline later starts read (BENCHMARKS.md 44).
  // Blocks resumed from a journal are not judged again: a resumed run keeps
  // every journaled value (BENCHMARKS.md 45 says why).
  std::unordered_map<size_t, CanaryCycles> measured_canaries;
  std::vector<size_t> own_ratio;
  std::optional<Harness> unbounded;
  for (int round = 0; !todo.empty() || !own_ratio.empty(); ++round) {
    // The given-up blocks this round takes, and how many of them it measures
    // (RetrySchedule; blocks measured without the unrolling ratio aside).
    const size_t taken = todo.size();
    size_t measured = 0;
    std::vector<size_t> disturbed, own_ratio_next;
    // The given-up blocks' repetitions and those the checks flagged; a
    // misread counts as all flagged (a clock reference misread under load).
    uint64_t given_up_repetitions = 0, flagged_repetitions = 0;
    auto record = [&](size_t i, const Measurement& m, bool without_ratio) {
      util::JournalEntry e;
      const uint32_t n = blocks[i].instructions;
      if (m.throughput && n > 0 && *m.throughput < 0.97 * 100 * n / kMaxInstructionsPerCycle) {
        // The first time like a disturbed block (measured again, also on
        // resume); the second time final.
        const bool first = misread.insert(i).second;
        char reason[200];
        std::snprintf(reason, sizeof reason,
                      "%s: %.2f cycles per 100 iterations is faster than %g instructions per cycle (%u "
                      "instructions)",
                      first ? "disturbed or misread" : "misread twice", *m.throughput, kMaxInstructionsPerCycle, n);
        e = {"", reason};
        if (first) {
          disturbed.push_back(i);
          given_up_repetitions += std::max<uint32_t>(m.attempts, 1);
          flagged_repetitions += std::max<uint32_t>(m.attempts, 1);
        }
      } else if (m.throughput) {
        char note[32];
        std::snprintf(note, sizeof note, "%s%.5f", kRatioNote, m.tsc_per_cycle);
        e = {format_throughput(*m.throughput), note};
        if (without_ratio) e.note += kOwnRatioNote;
        if (m.other_mode) e.note += kOtherModeNote + format_throughput(*m.other_mode);
        if (round > 0) ++summary.retried;
        if (!without_ratio) ++measured;
        measured_canaries[i] = m.canaries;
      } else {
        e = {"", m.reason};
        const std::string& hint = blocks[i].illegal_instruction_hint;
        if (!hint.empty() && m.reason.rfind("SIGILL", 0) == 0) e.note += " (" + hint + ")";
        bool own = false;  // over the ratio again, late enough: its own copies
        if (is_disturbed(e) && !without_ratio && m.over_unrolling_ratio()) {
          const Clock::time_point now = Clock::now();
          auto [since, first] = over_ratio_since.try_emplace(i, now);
          own = !first && std::chrono::duration<double>(now - since->second).count() >= job.unrolling_recheck_seconds;
        }
        if (own) {
          own_ratio_next.push_back(i);
        } else if (is_disturbed(e)) {
          disturbed.push_back(i);
          given_up_repetitions += m.attempts;
          flagged_repetitions += m.disturbed - m.unrolling_flagged;
        }
      }
      journal.record(i, e);
      done[i] = e;
      if (round == 0) progress.advance();
    };
    auto measure_with = [&](Harness& h, const std::vector<size_t>& which, bool without_ratio) {
      std::vector<std::vector<uint8_t>> bytes;
      std::vector<std::vector<RipDisplacement>> rip;
      bytes.reserve(which.size());
      rip.reserve(which.size());
      for (size_t i : which) {
        bytes.push_back(blocks[i].bytes);
        rip.push_back(blocks[i].rip_displacements);
      }
      h.measure(
          bytes, [&](size_t k, const Measurement& m) { record(which[k], m, without_ratio); }, job.cancel, rip);
    };
    if (!todo.empty()) measure_with(harness, todo, false);
    if (!own_ratio.empty() && !(job.cancel && job.cancel->load())) {
      if (!unbounded) {
        Options without_ratio = judged;
        without_ratio.unrolling_excess = std::numeric_limits<double>::infinity();
        // Judged by the run's starts too, not only its own (worker_starts.h).
        without_ratio.quiet_canary = lower_of(judged.quiet_canary, harness.run_canary());
        unbounded.emplace(without_ratio);
      }
      measure_with(*unbounded, own_ratio, true);
    }
    if (job.cancel && job.cancel->load()) break;
    // Blocks whose clean repetitions' canaries read over canary_tolerance x
    // kRejudgeMargin x the baseline the run judges by now: measured again,
    // as disturbed.
    const CanaryCycles baseline = lower_of(harness.run_canary(), judged.quiet_canary);
    const double rejudge_tolerance = options.canary_tolerance * kRejudgeMargin;
    size_t rejudged = 0;
    for (auto it = measured_canaries.begin(); it != measured_canaries.end();) {
      if (!over_baseline(it->second, baseline, rejudge_tolerance)) {
        ++it;
        continue;
      }
      char reason[220];
      std::snprintf(reason, sizeof reason,
                    "disturbed by other load: its clean repetitions' canaries read %.2f/%.2f cycles, over %.3f x the "
                    "run's baseline of %.2f/%.2f found later",
                    it->second.zero_idioms, it->second.loads, rejudge_tolerance, baseline.zero_idioms, baseline.loads);
      const util::JournalEntry e{"", reason};
      journal.record(it->first, e);
      done[it->first] = e;
      disturbed.push_back(it->first);
      ++given_up_repetitions;
      ++flagged_repetitions;
      ++rejudged;
      it = measured_canaries.erase(it);
    }
    if (rejudged > 0) {
      progress.finish();
      log << "surrogate measure: " << rejudged << " measured blocks judged again by the run's canary baseline found "
          << "later (" << baseline.zero_idioms << "/" << baseline.loads << " cycles): over it, measured again\n";
    }
    own_ratio = std::move(own_ratio_next);
    todo.clear();
    if (!own_ratio.empty()) {
      progress.finish();
      log << "surrogate measure: " << own_ratio.size() << " blocks over the unrolling ratio again at least "
          << job.unrolling_recheck_seconds << " s later (their own copies, not an event); measuring them without it\n";
    }
    const std::optional<double> wait = disturbed.empty() ? std::nullopt : schedule.next(taken, measured);
    if (!wait) continue;
    const bool past_budget = schedule.past_budget();
    progress.finish();
    log << "surrogate measure: " << disturbed.size() << " blocks disturbed by other load; measuring them again ";
    // When every block left was given up over the unrolling ratio, the round
    // waits until each is JobOptions::unrolling_recheck_seconds past its
    // first time (an event has passed by then), if the schedule allows.
    double recheck = seconds_until_recheck(disturbed, over_ratio_since, job.unrolling_recheck_seconds);
    if (recheck > schedule.room()) recheck = 0;
    std::string why;
    const double pause = std::max(load_pause(harness, flagged_repetitions, given_up_repetitions, *wait, &why), recheck);
    char when[32] = "now";
    if (pause > 0) std::snprintf(when, sizeof when, "in %.3g s", pause);
    log << when << why;
    if (past_budget)
      log << " (past the " << job.disturbed_retry_seconds << " s schedule: the round before measured " << measured
          << " of the " << taken << " it took)";
    log << "\n";
    for (double w = 0; w < pause && !(job.cancel && job.cancel->load()); w += 0.1)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    schedule.started(*wait, pause);
    std::sort(disturbed.begin(), disturbed.end());
    todo = std::move(disturbed);
  }
  progress.finish();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.retry_rounds = schedule.rounds();
  summary.retry_rounds_past_budget = schedule.extra_rounds();
  if (job.cancel && job.cancel->load()) {
    summary.interrupted = true;
    return summary;
  }

  std::vector<double> ratios;
  nlohmann::json two_modes = nlohmann::json::array(), own_ratio_blocks = nlohmann::json::array();
  for (size_t i : distinct) {
    const util::JournalEntry& e = done.at(i);
    if (!e.value.empty()) {
      ++summary.measured;
      if (e.note.rfind(kRatioNote, 0) == 0) ratios.push_back(std::atof(e.note.c_str() + 4));
      if (e.note.find(kOwnRatioNote) != std::string::npos)
        own_ratio_blocks.push_back(
            {{"block", blocks[i].name}, {"hex", util::to_hex(blocks[i].bytes)}, {"throughput", std::stod(e.value)}});
      if (const std::string other = other_mode_of(e); !other.empty())
        two_modes.push_back({{"block", blocks[i].name},
                             {"hex", util::to_hex(blocks[i].bytes)},
                             {"throughput", std::stod(e.value)},
                             {"other_mode", std::stod(other)}});
    } else {
      log << blocks[i].name << ": unmeasurable " << util::to_hex(blocks[i].bytes) << ": " << e.note << "\n";
    }
  }
  summary.tsc_per_cycle = ratios.empty() ? 0.0 : median(ratios);
  summary.two_modes = two_modes.size();
  summary.over_unrolling_ratio = own_ratio_blocks.size();
  // This run's canaries against the host's record: a run whose baseline sat
  // well above the record shared its cores the whole time (its repetitions
  // were judged against the record, and fewer blocks passed).
  const CanaryCycles run_canary = harness.run_canary(), quiet = judged.quiet_canary;
  if (quiet.zero_idioms > 0 && run_canary.zero_idioms > 0 &&
      (run_canary.zero_idioms > options.canary_tolerance * quiet.zero_idioms ||
       run_canary.loads > options.canary_tolerance * quiet.loads)) {
    char buf[300];
    std::snprintf(buf, sizeof buf,
                  "surrogate measure: the canaries read %.2fx and %.2fx this host's quiet record (%s): other load "
                  "shared the cores; repetitions were judged against the record\n",
                  run_canary.zero_idioms / quiet.zero_idioms, run_canary.loads / quiet.loads, record.path().c_str());
    log << buf;
  }
  const size_t quiet_runs = record.runs();
  std::string why;
  if (!record.remember(run_canary, &why))
    log << "surrogate measure: warning: could not update the quiet canary record: " << why << "\n";

  util::AtomicFile out(job.output);
  out.stream() << "hex,throughput" << job.identity_header << "\n";
  for (size_t i = 0; i < blocks.size(); ++i) {
    out.stream() << (blocks[i].hex_column.empty() ? util::to_hex(blocks[i].bytes) : blocks[i].hex_column) << ",";
    if (!blocks[i].bad_row) out.stream() << done.at(first_of[i]).value;
    out.stream() << blocks[i].identity << "\n";
  }
  out.commit();
  if (job.output != "-")
    util::write_file_atomically(job.output + ".meta.json", metadata(options, harness, job, summary, ratios, run_canary,
                                                                    quiet, quiet_runs, two_modes, own_ratio_blocks)
                                                                   .dump(2) +
                                                               "\n");
  journal.remove();
  return summary;
}

}  // namespace surrogate::measure
