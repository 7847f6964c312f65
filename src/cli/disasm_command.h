// surrogate disasm: blocks as assembly text (to read them, or to feed llvm-mca).
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_disasm_command(CLI::App& app);
}
