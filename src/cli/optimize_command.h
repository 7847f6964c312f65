// surrogate optimize: faster rewrites of basic blocks that compute the same
// live state (optimize/optimizer.h): search steered by the surrogate, every
// rewrite tested on the emulator and confirmed by the simulator.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/command.h"
#include "optimize/operand_guide.h"

namespace surrogate::cli {
Command add_optimize_command(CLI::App& app);

// Makes the guide of `--guide gradient` from a model file. Set by
// surrogate-nn (LibTorch); the dispatcher runs `optimize --guide gradient`
// there.
using OperandGuideMaker = std::function<std::unique_ptr<optimize::OperandGuide>(const std::string& model_path)>;
void set_gradient_guide_maker(OperandGuideMaker maker);
}  // namespace surrogate::cli
