// Shared plumbing for the surrogate subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "block/block_reader.h"
#include "util/throughput_text.h"

namespace surrogate::cli {

// Each subcommand registers itself on the app and sets `run`, called after
// parsing if that subcommand was chosen. run returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// How a batch command reads its blocks: the inputs, --input-format and
// --strict. Without --strict a row that cannot be read gets an empty result
// and a reason, the other rows go on, and the command exits 1.
struct InputOptions {
  std::vector<std::string> inputs;
  std::string format = "auto";
  bool strict = false;
  block::ReadOptions read_options() const;
};
void add_input_options(CLI::App* sub, InputOptions& o);

// Output rows (CSV text with a header, as the batch commands write them) as
// JSON for --json (llvm-mca's -json): {"rows": [{"hex": "...",
// "throughput": 103, "sources": "..."}, ...]}, a value per header column;
// throughput is a number, or null for a row without one.
std::string rows_as_json(const std::string& csv);

// The CPU an -mcpu= value names: "native" is the host's (LLVM's
// detection, said on stderr); "help" prints the CPU names and gives nullopt
// (the command then exits 0); anything else is itself.
std::optional<std::string> resolve_mcpu(const std::string& cpu, const std::string& command);

// Set by SIGINT/SIGTERM once install_interrupt_handler() ran: long jobs stop
// handing out work, save what is finished, and exit 130.
extern std::atomic<bool> interrupted;
void install_interrupt_handler();

// Parses argv (LLVM's one-dash spellings of long options accepted: -mcpu=,
// -json, -jobs=2; "help [CMD]" is "[CMD] --help") and runs the chosen
// command; prints "PROGRAM COMMAND: error: ..." on an exception or when
// standard output could not be written. Returns the exit code: the
// command's, 1 on an error, 2 on a usage error.
int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv);

}  // namespace surrogate::cli
