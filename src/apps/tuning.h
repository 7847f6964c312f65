// Surrogate optimisation's goal (Renda, Ding and Carbin, section 5; DiffTune):
// llvm-mca's CPU parameters fitted to throughputs measured on this host and
// written back as a params file that `surrogate simulate --params` reads.
//
// tune() reads measured blocks (`surrogate measure` output; blocks of the
// held-out programs openssl, sqlite, redis are left out as in all training),
// draws at most max_blocks of them (by a hash of their bytes, so the same
// file gives the same sample), splits them 80/10/10 by the project's hash
// split and fits, starting from LLVM's values of `cpu`:
//  - the fields of the opcodes that occur in at least min_support training
//    blocks (micro-ops, latency per defined value, cycles of the ports the
//    row already uses, ReadAdvance cycles); other opcodes keep LLVM's values;
//  - the global fields llvm-mca reads (dispatch width, buffers, queues).
// The method (coordinate_search.h) works on the real simulator; the values
// with the lowest validation error are kept, integers within each field's
// range by construction. The test split, used for nothing else, compares
// LLVM's values with the tuned ones.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "apps/coordinate_search.h"
#include "apps/gradient_search.h"
#include "apps/nlopt_search.h"
#include "dataset/metrics.h"

namespace surrogate::apps {

struct TuneOptions {
  std::string cpu;                    // LLVM CPU whose parameters are tuned, e.g. "znver4"
  std::string measured;               // measured label set (CSV hex,throughput[,sources] or label store)
  std::string output;                 // TUNED.json (what differs from LLVM's table); TUNED.report.md and
                                      // TUNED.json.state beside it
  std::string method = "coordinate";  // coordinate, nlopt, or a method given to tune() (gradient)
  std::size_t max_blocks = 20000;     // measured blocks drawn before the split, 0 = all
  std::size_t min_support = 20;       // training blocks an opcode must occur in for its fields to move
  double penalty = 1.0;               // coordinate_search.h weight of a one-unit change of a per-opcode field
  unsigned max_sweeps = 8;
  std::uint64_t budget_simulations = 0;  // block simulations, 0 = none
  double max_seconds = 0;                // the whole call's wall clock (the search stops early), 0 = none
  unsigned jobs = 1;
  GradientOptions gradient;  // method "gradient" (apps/gradient_search.h)
  NloptOptions nlopt;        // method "nlopt" (apps/nlopt_search.h)
};

// One parameter the tuning moved.
struct ParameterChange {
  std::string field;  // params file path, e.g. "opcodes.IMUL64rr.latency[0]"
  long long llvm = 0, tuned = 0;
  std::size_t support = 0;  // training blocks it affects
  // Mean relative error over those blocks: under LLVM's values, under the
  // tuned ones, and under the tuned ones with this field put back to LLVM's
  // value (what this change alone is worth, every other change in place).
  double error_llvm = 0, error_tuned = 0, error_without = 0;
};

struct TuneResult {
  std::string host;  // the measurements' host identity (MEASURED.meta.json), or ""
  std::size_t measured_blocks = 0, held_out_left_out = 0, unusable = 0;
  std::size_t train_blocks = 0, validation_blocks = 0, test_blocks = 0;
  std::size_t tuned_opcodes = 0, fields = 0;
  dataset::ErrorSummary train_llvm, train_tuned, test_llvm, test_tuned;
  double validation_llvm = 0, validation_tuned = 0;  // MAPE
  std::uint64_t simulations = 0;
  unsigned sweeps = 0;
  std::size_t moves = 0;
  double seconds = 0;
  std::string stop_reason;
  std::string method_summary;  // SearchResult::summary
  std::vector<ParameterChange>
      changes;               // every moved field, largest worth first (error_without - error_tuned, summed over blocks)
  bool interrupted = false;  // nothing written but TUNED.state
};

// Throws std::runtime_error (one line) for an unknown CPU, a method it does
// not know, an unreadable or too small measured file; writes nothing then.
// `methods` adds search methods by name to "coordinate" and "nlopt" (builds with
// LibTorch pass {"gradient", gradient_search}: this library has no LibTorch).
TuneResult tune(const TuneOptions& options, std::ostream& log, const std::function<bool()>& cancel,
                const std::map<std::string, SearchMethod>& methods = {});

// The Markdown report written beside the params file: what was tuned on, the
// error before and after, and the changes (the 30 largest first), a list an
// LLVM maintainer can read as candidate scheduling-model fixes.
void write_tune_report(std::ostream& out, const TuneOptions& options, const TuneResult& result);

}  // namespace surrogate::apps
