// Neural compilation (Renda et al., section "surrogate compilation"): from a
// specification -- the program to replace, the error metric and its bound,
// the cost to minimise -- to the cheapest surrogate that meets the bound.
//
// The spec: apps/compile_spec.h.
//
// The search: a surrogate's cost grows with its width (the runtime's work per
// instruction is ~8 W^2 multiply-adds), so the cheapest model meeting the
// bound is the narrowest one that meets it. Widths are trained in ascending
// order, `jobs` at a time, and the search stops at the first that meets the
// bound: the same answer as training every width, for less. Every trained
// width gets its row (width, depth, parameters, training time, validation
// and test MAPE, Kendall tau, deployed blocks/s (decoded test blocks, one
// thread, best of three cold-cache passes), speed-up over the simulator).
#pragma once

#include <atomic>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "apps/compile_spec.h"
#include "mca/labeller.h"

namespace surrogate::apps {

struct CapacityRow {
  std::int64_t width = 0, depth = 0, parameters = 0;
  int epochs = 0;
  double training_seconds = 0;
  double validation_mape = 0, test_mape = 0, kendall_tau = 0;
  double blocks_per_second = 0;            // deployed runtime, one thread, test blocks
  double simulator_blocks_per_second = 0;  // the simulator, one thread, same blocks
  bool meets = false;
  std::string model;
};

struct CompileResult {
  std::vector<CapacityRow> rows;  // by width
  int chosen = -1;                // index into rows; -1: no width met the bound
  bool interrupted = false;
};

// The program the spec names ([program]: llvm-mca-19 under the CPU's own
// parameters, `iterations` iterations), as the Labeller compile imitates.
std::unique_ptr<mca::Labeller> program_labeller(const CompileSpec& spec);

// The search. `program` is what the surrogate replaces: its speed on the
// test blocks (one thread) is the reference of every row's speed-up.
CompileResult compile(const CompileSpec& spec, const mca::Labeller& program, std::ostream& log,
                      const std::atomic<bool>* cancel);

}  // namespace surrogate::apps
