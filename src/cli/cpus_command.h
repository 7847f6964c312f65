// surrogate cpus: the x86 CPUs LLVM 19 knows, with their scheduling models.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_cpus_command(CLI::App& app);
}
