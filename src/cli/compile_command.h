// surrogate compile: a specification -> the cheapest surrogate meeting it.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_compile_command(CLI::App& app);
}
