// surrogate tune: llvm-mca's CPU parameters fitted to throughputs measured on
// this machine, written back as a params file (apps/tuning.h).
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_tune_command(CLI::App& app);
}
