// surrogate: neural surrogates of programs; the CLI is a thin shell over the libraries.
//
// The commands that train networks (train, compile) live in a second binary,
// surrogate-nn, beside this one: LibTorch takes about a second to load, which
// simulate, measure and predict should not pay. `surrogate train ...` runs
// `surrogate-nn train ...`, as git runs its git-* commands.
#include <limits.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/cpus_command.h"
#include "cli/disasm_command.h"
#include "cli/evaluate_command.h"
#include "cli/measure_command.h"
#include "cli/params_command.h"
#include "cli/predict_command.h"
#include "cli/simulate_command.h"

namespace {

const char* const kNnCommands[][2] = {
    {"train", "Train a hierarchical-LSTM surrogate on a label set (runs surrogate-nn train; see its --help)"},
    {"compile", "Neural compilation: capacity search to the cheapest surrogate meeting a specification "
                "(runs surrogate-nn compile; see its --help)"}};

// Replaces this process by surrogate-nn from the same directory.
int exec_nn(char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::cerr << "surrogate: cannot find its own path to run surrogate-nn\n";
    return 1;
  }
  self[n] = 0;
  std::string nn = (std::filesystem::path(self).parent_path() / "surrogate-nn").string();
  argv[0] = const_cast<char*>(nn.c_str());
  execv(nn.c_str(), argv);
  std::cerr << "surrogate: cannot run " << nn << ": " << std::strerror(errno) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace surrogate::cli;
  if (argc > 1)
    for (const auto& c : kNnCommands)
      if (std::strcmp(argv[1], c[0]) == 0) return exec_nn(argv);
  CLI::App app("surrogate: neural surrogates of x86-64 basic-block performance models (LLVM 19 llvm-mca)");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("surrogate 0.1.0"));
  std::vector<Command> commands{add_cpus_command(app),     add_simulate_command(app), add_label_command(app),
                                add_params_command(app),   add_disasm_command(app),   add_measure_command(app),
                                add_evaluate_command(app), add_predict_command(app)};
  for (const auto& c : kNnCommands) app.add_subcommand(c[0], c[1]);  // listed in --help; run by surrogate-nn
  return run_command_line(app, commands, argc, argv);
}
