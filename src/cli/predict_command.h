// surrogate predict: a trained surrogate's throughput of every input block.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_predict_command(CLI::App& app);
}
