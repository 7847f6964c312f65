// surrogate train-conditioned: makes the parameter-conditioned surrogate of a
// CPU's scheduling model that `surrogate tune --method=gradient` starts from
// (apps/parameter_surrogate.h).
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_train_conditioned_command(CLI::App& app);
}
