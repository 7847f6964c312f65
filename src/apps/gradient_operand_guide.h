// GradientOperandGuide: an OperandGuide (optimize/operand_guide.h) from the
// gradient of a surrogate model (.srg, read into LibTorch as adaptation does)
// with respect to its inputs: the embeddings of each distinct instruction's
// tokens and the dependency features of each instruction. A variant's
// estimate is the first-order change of the log prediction:
//   sum over its token positions of grad . (E[new token] - E[old token])
//   + sum over the block's features of grad . (features with the variant -
//     features now)
// (HotFlip's estimate, with the def-use inputs too). One forward and backward
// pass per distinct current block, cached; no surrogate evaluation. A variant
// with another number of tokens than the instruction is estimated 0; where an
// instruction occurs twice in the block, its token gradient is the sum over
// both places (the batch embeds distinct instructions once).
#pragma once

#include <memory>
#include <vector>

#include "optimize/operand_guide.h"
#include "runtime/model_file.h"

namespace surrogate::apps {

class GradientOperandGuide : public optimize::OperandGuide {
 public:
  // Throws std::invalid_argument for a model the network cannot hold.
  explicit GradientOperandGuide(const runtime::ModelFile& model);
  ~GradientOperandGuide() override;

  std::vector<double> estimate(const std::vector<llvm::MCInst>& block, std::size_t index,
                               const std::vector<llvm::MCInst>& variants) override;

  // The model's log predicted throughput of `block` (for tests: the
  // estimates are first-order changes of this).
  double log_prediction(const std::vector<llvm::MCInst>& block);

  std::size_t gradients_computed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace surrogate::apps
