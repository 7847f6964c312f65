// Labeller: the program a surrogate imitates, seen as a function from a basic
// block to its cost in cycles per 100 iterations (BHive's unit).
//
// The seam between what is imitated and what uses it: labelling jobs
// (dataset/labelling_job.h), compile, tune and optimize call a Labeller, not
// the simulator by name. For llvm-mca it is SimulatorLabeller
// (mca/simulator_labeller.h); another program (another simulator, a
// measurement) is another implementation.
#pragma once

#include <stdexcept>
#include <string>

#include "block/basic_block.h"

namespace surrogate::mca {

// A block the program cannot label (e.g. an instruction the CPU model has no
// scheduling information for). what() is one line.
class LabelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Labeller {
 public:
  virtual ~Labeller() = default;
  // One line naming the program and its configuration, for metadata and
  // messages, e.g. "llvm-mca 19 (in process) -mcpu=haswell -iterations=100".
  virtual std::string description() const = 0;
  // Changes whenever label() may answer differently (program, parameters,
  // options); journals of resumable jobs are keyed by it.
  virtual std::string fingerprint() const = 0;
  // Cycles per 100 iterations; throws LabelError for a block the program
  // cannot label. Thread-safe.
  virtual double label(const block::BasicBlock& block) const = 0;
};

}  // namespace surrogate::mca
