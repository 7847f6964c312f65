// surrogate verify: tests the rewrites of an `optimize` output again, on
// fresh states from another seed (issue 17: no accepted rewrite may be
// found different by a fresh verification run).
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_verify_command(CLI::App& app);
}
