// SimulatorLabeller: llvm-mca (the in-process Simulator under a CpuParams) as
// the Labeller of neural compilation, tuning and optimisation.
#pragma once

#include <string>

#include "mca/labeller.h"
#include "mca/simulator.h"

namespace surrogate::mca {

class SimulatorLabeller final : public Labeller {
 public:
  // `origin` says where the params came from, in llvm-mca's words
  // ("-mcpu=haswell", "--params=hw.json"); `params_identity` changes with
  // their values (e.g. the params file's bytes; empty for LLVM's own values).
  SimulatorLabeller(const CpuParams& params, unsigned iterations, std::string origin, std::string params_identity = "");

  std::string description() const override;
  std::string fingerprint() const override;
  double label(const block::BasicBlock& block) const override;  // Simulator::throughput

  const Simulator& simulator() const { return simulator_; }
  unsigned iterations() const { return iterations_; }

 private:
  Simulator simulator_;
  unsigned iterations_;
  std::string origin_, params_identity_;
};

}  // namespace surrogate::mca
