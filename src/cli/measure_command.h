// surrogate measure: throughput of every input block measured on this CPU.
#pragma once

#include "block/basic_block.h"
#include "cli/command.h"
#include "measure/measure_job.h"

namespace surrogate::cli {
Command add_measure_command(CLI::App& app);

// Block `b` as the measure job takes it: its bytes, where its RIP-relative
// displacements sit, and why it cannot run here (AMX) where that is known.
// `identity`: the row's naming cells (RowIdentity::cells), or "".
measure::JobBlock job_block_of(const block::BasicBlock& b, std::string identity = "");
}  // namespace surrogate::cli
