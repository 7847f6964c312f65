#include "mca/simulator_labeller.h"

namespace surrogate::mca {

SimulatorLabeller::SimulatorLabeller(const CpuParams& params, unsigned iterations, std::string origin,
                                     std::string params_identity)
    : simulator_(params),
      iterations_(iterations),
      origin_(std::move(origin)),
      params_identity_(std::move(params_identity)) {}

std::string SimulatorLabeller::description() const {
  return "llvm-mca 19 (in process) " + origin_ + " -iterations=" + std::to_string(iterations_);
}

std::string SimulatorLabeller::fingerprint() const {
  return "llvm-mca-19 " + simulator_.params().cpu + " " + origin_ + " iterations=" + std::to_string(iterations_) +
         "\n" + params_identity_;
}

double SimulatorLabeller::label(const block::BasicBlock& block) const {
  return simulator_.throughput(block, iterations_);
}

}  // namespace surrogate::mca
