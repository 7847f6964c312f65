// surrogate measure: throughput of every input block measured on this CPU.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_measure_command(CLI::App& app);
}
