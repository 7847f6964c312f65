// surrogate optimize: faster rewrites of basic blocks that compute the same
// live state (optimize/optimizer.h): search steered by the surrogate, every
// rewrite tested on the emulator and confirmed by the simulator.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_optimize_command(CLI::App& app);
}
