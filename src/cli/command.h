// Shared plumbing for the surrogate subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "util/throughput_text.h"

namespace surrogate::cli {

// Each subcommand registers itself on the app and sets `run`, called after
// parsing if that subcommand was chosen. run returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Set by SIGINT/SIGTERM once install_interrupt_handler() ran: long jobs stop
// handing out work, save what is finished, and exit 130.
extern std::atomic<bool> interrupted;
void install_interrupt_handler();

// Parses argv (LLVM's one-dash spellings -mcpu=, -iterations=, -dispatch=
// accepted) and runs the chosen command; prints "PROGRAM COMMAND: error: ..."
// on an exception. Returns the exit code.
int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv);

}  // namespace surrogate::cli
