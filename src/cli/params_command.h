// surrogate params: the editable CPU parameter tables.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_params_command(CLI::App& app);
}
