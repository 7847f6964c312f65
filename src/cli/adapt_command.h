// surrogate adapt: a surrogate of llvm-mca fine-tuned on throughputs measured
// on this machine (apps/adaptation.h).
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_adapt_command(CLI::App& app);
}
