// surrogate simulate: llvm-mca throughput of every input block.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_simulate_command(CLI::App& app);
}
