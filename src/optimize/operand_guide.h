// OperandGuide: ranks operand moves by a differentiable model's first-order
// estimate of their effect, the "Project Silicon" idea (issue 17): discrete
// search over instructions, gradients of the performance model for the
// continuous-looking choices (which register an operand names). Without a
// guide the search draws operand moves uniformly.
#pragma once

#include <cstddef>
#include <vector>

#include "llvm/MC/MCInst.h"

namespace surrogate::optimize {

class OperandGuide {
 public:
  virtual ~OperandGuide() = default;
  // For each variant of block[index] (the same instruction with other
  // operands), the estimated change of the model's log predicted throughput
  // if it replaced block[index]: lower is faster. Not a prediction: an
  // estimate from one gradient of the current block, so cheap.
  virtual std::vector<double> estimate(const std::vector<llvm::MCInst>& block, std::size_t index,
                                       const std::vector<llvm::MCInst>& variants) = 0;
};

}  // namespace surrogate::optimize
