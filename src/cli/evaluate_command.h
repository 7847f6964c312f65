// surrogate evaluate: accuracy of predicted throughputs against labels.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_evaluate_command(CLI::App& app);
}
