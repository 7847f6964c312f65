// surrogate simulate: llvm-mca throughput of every input block.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_simulate_command(CLI::App& app);
// surrogate label: the same simulation, written as a label set for training.
Command add_label_command(CLI::App& app);
}  // namespace surrogate::cli
