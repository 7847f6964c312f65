// surrogate train: a hierarchical-LSTM surrogate trained on a label set.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_train_command(CLI::App& app);
}
