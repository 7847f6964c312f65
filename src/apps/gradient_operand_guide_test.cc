#include "apps/gradient_operand_guide.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "block/block_reader.h"
#include "block/x86_registers.h"
#include "runtime/model_file.h"

namespace surrogate::apps {
namespace {

// The 64-bit GPRs but rsp, as LLVM numbers them.
std::vector<unsigned> gr64() {
  std::vector<unsigned> out;
  for (unsigned i = 0; i < 16; ++i)
    if (i != 4) out.push_back(block::gpr_register(i, 64));
  return out;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= x.size(), my /= y.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
  return sxy / std::sqrt(sxx * syy);
}

// The guide's estimates are first-order changes of the model's own log
// prediction: zero for the instruction itself, and over register changes of
// real blocks they follow the true change of the prediction (the guide is
// only worth its cost if they do).
TEST(GradientOperandGuide, EstimatesFollowTheModelsOwnPredictions) {
  GradientOperandGuide guide(runtime::read_model_file(std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg"));
  const auto blocks = block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  const std::vector<unsigned> regs = gr64();
  std::vector<double> estimated, actual;
  std::size_t agree = 0, blocks_used = 0;
  for (const block::BasicBlock& b : blocks) {
    if (b.instructions.size() < 2 || b.instructions.size() > 12 || blocks_used == 60) continue;
    std::vector<unsigned> named;  // GR64 registers the block names
    for (const llvm::MCInst& inst : b.instructions)
      for (const llvm::MCOperand& op : inst)
        if (op.isReg() && std::count(regs.begin(), regs.end(), op.getReg()) &&
            !std::count(named.begin(), named.end(), op.getReg()))
          named.push_back(op.getReg());
    if (named.size() < 2) continue;
    ++blocks_used;
    const double before = guide.log_prediction(b.instructions);
    for (std::size_t i = 0; i < b.instructions.size(); ++i) {
      const llvm::MCInst& inst = b.instructions[i];
      std::vector<llvm::MCInst> variants{inst};  // the first: unchanged
      for (unsigned k = 0; k < inst.getNumOperands(); ++k) {
        if (!inst.getOperand(k).isReg() || !std::count(named.begin(), named.end(), inst.getOperand(k).getReg()))
          continue;
        for (unsigned to : named)
          if (to != inst.getOperand(k).getReg()) {
            variants.push_back(inst);
            variants.back().getOperand(k).setReg(to);
          }
      }
      if (variants.size() == 1) continue;
      const std::vector<double> e = guide.estimate(b.instructions, i, variants);
      ASSERT_EQ(e.size(), variants.size());
      EXPECT_EQ(e[0], 0.0) << "an unchanged instruction changes nothing";
      for (std::size_t v = 1; v < variants.size(); ++v) {
        std::vector<llvm::MCInst> changed = b.instructions;
        changed[i] = variants[v];
        const double truth = guide.log_prediction(changed) - before;
        estimated.push_back(e[v]);
        actual.push_back(truth);
        agree += (e[v] > 0) == (truth > 0);
      }
    }
  }
  ASSERT_GE(estimated.size(), 200u);
  const double r = pearson(estimated, actual);
  std::printf("%zu variants of %zu blocks: correlation %.3f, sign agreement %.1f%%, gradients %zu\n", estimated.size(),
              blocks_used, r, 100.0 * agree / estimated.size(), guide.gradients_computed());
  EXPECT_GT(r, 0.5);
  EXPECT_GT(static_cast<double>(agree) / estimated.size(), 0.6);
}

}  // namespace
}  // namespace surrogate::apps
