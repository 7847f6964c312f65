#include "cli/command.h"

#include <algorithm>
#include <iostream>

#include <csignal>
#include <cmath>
#include <cstdio>

namespace surrogate::cli {

std::atomic<bool> interrupted{false};

static void on_signal(int) { interrupted = true; }

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

namespace {

// LLVM tools spell long options with one dash (-mcpu=haswell,
// -iterations=100); CLI11 wants two. Accept both for LLVM's names.
std::vector<std::string> llvm_style_args(int argc, char** argv) {
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

}  // namespace

int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv) {
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

}  // namespace surrogate::cli
