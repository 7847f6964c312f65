// surrogate synth: seeded random blocks from LLVM's opcode tables with a
// drawn dependency structure (dataset/block_synthesis.h), as a BHive CSV
// (hex,sources) for `surrogate label`.
#pragma once

#include "cli/command.h"

namespace surrogate::cli {
Command add_synth_command(CLI::App& app);
}
