// A measurement job on files: what `surrogate measure` runs below its
// command line.
//
//  - output CSV `hex,throughput` (cycles per 100 iterations, two decimals,
//    empty where unmeasurable), one row per input block in input order,
//    written through a temporary and renamed (never a partial file);
//  - OUT.meta.json: CPU identity, method and options, TSC ratio observed,
//    coverage, the blocks read in two modes (both figures), tool version,
//    date (same temporary-then-rename rule);
//  - OUT.partial (util/result_journal.h): finished blocks, so a killed or
//    interrupted run resumes where it stopped; removed once OUT is complete.
//    Blocks given up because of other load on the host are measured again on
//    resume; a journal of another job (other blocks, options or CPU) is
//    discarded;
//  - reasons for unmeasurable blocks on the log stream, one line each;
//  - progress (done/total, blocks/s, ETA) on stderr when it is a terminal.
// Each distinct block is measured once; duplicates share its row value.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "measure/measurement.h"
#include "measure/timed_code.h"

namespace surrogate::measure {

struct JobBlock {
  std::string name;            // for messages, e.g. "file.csv:12"
  std::vector<uint8_t> bytes;  // machine code
  // The row's output hex (BasicBlock::hex_column: with a trailing branch that
  // was not measured); to_hex(bytes) when empty.
  std::string hex_column;
  // A row of the input that could not be read: not measured, its output row
  // has an empty throughput (the caller reports why).
  bool bad_row = false;
  // Cells after hex,throughput that name the row (RowIdentity::cells: ",a,b"), or "".
  std::string identity;
  // Said after the reason when the block dies of SIGILL (an instruction the
  // caller knows needs a feature this process lacks, e.g. AMX), or "".
  std::string illegal_instruction_hint;
  // Where the block's RIP-relative displacements sit (the caller decodes the
  // block; block::rip_relative_fields), so every unrolled copy reaches the
  // same globals. Empty: none, or unknown.
  std::vector<RipDisplacement> rip_displacements = {};
  // Instructions in the block (the caller decodes it; 0: unknown). A value
  // faster than kMaxInstructionsPerCycle of them per cycle is a misreading.
  uint32_t instructions = 0;
};

// No x86-64 core to date renames more than 8 macro-ops per cycle (Zen 5,
// Lion Cove; Golden Cove 6), zero idioms and eliminated moves included, and
// a macro-op holds at most two instructions (fusion: Zen 5 runs
// `mov %rdx,%rcx; or %rax,%rcx` at 0.17 cycles per iteration, 12
// instructions per cycle), so no loop body of n instructions runs faster
// than n/16 cycles per iteration. A measurement below 0.97 x that is a
// misreading (on a Zen 5 guest about one block in 1,000 per run, e.g. a
// load and an immediate move at 6.95 cycles per 100 iterations, 25 in its
// other runs): the block is measured again in the next round; misread
// twice, it is left unmeasured.
inline constexpr double kMaxInstructionsPerCycle = 16;

// A measured block is judged again after each round against the run's
// baseline then (over all its worker starts), with canary_tolerance x this:
// each worker judged its repetitions by its own start's baseline, and the
// starts of one quiet run spread by ~5% (loads canary 0.689-0.722 cycles
// on a Zen 5 guest). Without the margin, 105 blocks over 29 quiet runs of
// 10,001 blocks were judged again and measured again, all of them right
// (clean canaries 1.10-1.12x the run's baseline); blocks a contended start
// passed read 1.28-1.38x (BENCHMARKS.md 44).
inline constexpr double kRejudgeMargin = 1.05;

// Whether blocks given up as disturbed met other load: at least
// kLoadedShare of their repetitions (summed over their passes) flagged by
// the checks (canaries, clock reference, imul check, context switches); a
// misread counts as one flagged repetition at least. Else their own runs
// disagreed (a block whose clean runs never pair within 2%), and a retry
// round need not wait for the host to calm down. True for no repetitions.
inline constexpr double kLoadedShare = 0.25;
bool met_other_load(uint64_t flagged_repetitions, uint64_t repetitions);

struct JobOptions {
  std::string output = "-";         // OUT; "-": CSV to stdout, no journal, no metadata
  std::vector<std::string> inputs;  // recorded in the metadata
  std::string identity_header;      // columns after hex,throughput (RowIdentity::header: ",name"), or ""
  std::string tool_version = "0";
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT): stop, keep the journal
  // Blocks given up as disturbed by other load are measured again in later
  // rounds, after waits of 1, 2, 4, ... seconds, until this many seconds of
  // that schedule are spent (0: no retry round); past it, at the longest of
  // those waits, while each round measures at least half (and ten) of its blocks
  // (retry_schedule.h). A round starts at once,
  // without its wait, when the host shows no load: the blocks given up in
  // the round before had their repetitions mostly clean (met_other_load),
  // or a probe block measured then does.
  double disturbed_retry_seconds = 120;
  // A block given up over the unrolling ratio (Measurement::
  // over_unrolling_ratio) in two rounds at least this many seconds apart
  // reads so by its own copies, not by an event (the events seen last 1-2 s):
  // it is measured once more without that check. The wait for such a round
  // counts against disturbed_retry_seconds.
  double unrolling_recheck_seconds = 5;
};

struct JobSummary {
  size_t blocks = 0;         // input blocks (rows)
  size_t distinct = 0;       // distinct blocks
  size_t measured = 0;       // distinct blocks measured
  size_t resumed = 0;        // distinct blocks taken from the journal
  size_t retried = 0;        // blocks measured again after being disturbed by other load
  size_t retry_rounds = 0;   // rounds after the first (RetrySchedule)
  size_t retry_rounds_past_budget = 0;  // of them, past disturbed_retry_seconds
  double seconds = 0;        // wall time of this run's measuring
  double tsc_per_cycle = 0;  // median over measured blocks
  size_t two_modes = 0;      // distinct blocks whose passes read two modes (Measurement::other_mode)
  size_t over_unrolling_ratio = 0;  // distinct blocks measured without the unrolling ratio (JobOptions)
  bool interrupted = false;  // cancelled: no output written, journal kept
};

// Runs the job. Throws std::runtime_error with a one-line message on an
// unwritable output or a host that cannot measure.
JobSummary run_measure_job(const std::vector<JobBlock>& blocks, const Options& options, const JobOptions& job,
                           std::ostream& log);

// The journal fingerprint of a job: options, CPU identity and the blocks.
std::string job_fingerprint(const std::vector<JobBlock>& blocks, const Options& options);

}  // namespace surrogate::measure
