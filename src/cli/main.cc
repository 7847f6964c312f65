// surrogate: neural surrogates of programs; the CLI is a thin shell over the libraries.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "cli/cpus_command.h"
#include "cli/disasm_command.h"
#include "cli/evaluate_command.h"
#include "cli/measure_command.h"
#include "cli/params_command.h"
#include "cli/simulate_command.h"
#include "cli/train_command.h"

// LLVM tools spell long options with one dash (-mcpu=haswell,
// -iterations=100); CLI11 wants two. Accept both for LLVM's names.
static std::vector<std::string> llvm_style_args(int argc, char** argv) {
  static const char* llvm_names[] = {"mcpu", "iterations", "dispatch"};
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::string& a : args) {
    if (a.size() < 3 || a[0] != '-' || a[1] == '-') continue;
    std::string name = a.substr(1, a.find('=') - 1);
    for (const char* n : llvm_names)
      if (name == n) a = "-" + a;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
  return args;
}

int main(int argc, char** argv) {
  using namespace surrogate::cli;
  CLI::App app("surrogate: neural surrogates of x86-64 basic-block performance models (LLVM 19 llvm-mca)");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("surrogate 0.1.0"));
  std::vector<Command> commands{add_cpus_command(app), add_simulate_command(app), add_params_command(app),
                                add_disasm_command(app), add_measure_command(app),
                                add_evaluate_command(app), add_label_command(app), add_train_command(app)};
  try {
    std::vector<std::string> args = llvm_style_args(argc, argv);
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const std::exception& e) {
      std::cerr << "surrogate " << c.app->get_name() << ": error: " << e.what() << '\n';
      return 1;
    }
  }
  return 1;
}
