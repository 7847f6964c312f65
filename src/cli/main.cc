// surrogate: neural surrogates of programs; the CLI is a thin shell over the libraries.
//
// The commands that train networks (train, compile) live in a second binary,
// surrogate-nn, beside this one: LibTorch takes about a second to load, which
// simulate, measure and predict should not pay. `surrogate train ...` runs
// `surrogate-nn train ...`, as git runs its git-* commands.
//
// The simulator's commands (simulate, label) run in surrogate-mca, this
// program built with tcmalloc: llvm-mca allocates an object per simulated
// instruction and runs ~8% faster with it, while tcmalloc's start-up (~3 ms
// of page-map set-up) is a good part of a short `predict`. `measure` runs
// there too: surrogate-mca is position-independent (this binary is not, for
// a faster start), so the measure workers forked from it have their code,
// data and stacks at random addresses a block cannot guess. When
// surrogate-mca is not beside this binary, they run here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/cpus_command.h"
#include "cli/disasm_command.h"
#include "cli/evaluate_command.h"
#include "cli/measure_command.h"
#include "cli/params_command.h"
#include "cli/predict_command.h"
#include "cli/simulate_command.h"
#include "cli/synth_command.h"
#ifdef SURROGATE_MCA_BINARY
#include "cli/optimize_command.h"
#include "cli/verify_command.h"
#endif
#include "util/executable.h"

namespace {

const char* const kNnCommands[][2] = {
    {"train", "Train a hierarchical-LSTM surrogate on a label set (runs surrogate-nn train; see its --help)"},
    {"compile",
     "Neural compilation: capacity search to the cheapest surrogate meeting a specification "
     "(runs surrogate-nn compile; see its --help)"},
    {"adapt",
     "Neural adaptation: fine-tune a surrogate on throughputs measured on this machine "
     "(runs surrogate-nn adapt; see its --help)"},
    {"tune",
     "Surrogate optimisation: fit llvm-mca's CPU parameters to throughputs measured on this machine "
     "(runs surrogate-nn tune; see its --help)"},
    {"train-conditioned",
     "Make the parameter-conditioned surrogate of a CPU that 'tune --method gradient' starts from "
     "(runs surrogate-nn train-conditioned; see its --help)"}};

const char* const kMcaCommands[] = {"simulate", "label", "synth", "measure", "optimize", "verify"};

// Commands only surrogate-mca has: they prove rewrites with Z3, whose
// library (23 MB) costs every process that links it ~4 ms at start, which a
// short `predict` should not pay.
const char* const kMcaOnlyCommands[][2] = {
    {"optimize",
     "Faster rewrites of basic blocks that compute the same live state, proven with Z3 or tested on the emulator "
     "(runs surrogate-mca optimize; see its --help)"},
    {"verify",
     "Verify the rewrites of an 'optimize' output again, on new states (runs surrogate-mca verify; see its --help)"}};

// Whether `optimize` is asked for a guide that needs LibTorch (surrogate-nn).
bool optimize_needs_torch(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "optimize") != 0) return false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--guide=gradient") == 0) return true;
    if (std::strcmp(argv[i], "--guide") == 0 && i + 1 < argc && std::strcmp(argv[i + 1], "gradient") == 0) return true;
  }
  return false;
}

// The path of `binary` in this program's directory, or "" if unknown.
std::string sibling(const char* binary) {
  const std::filesystem::path dir = surrogate::util::executable_directory();
  return dir.empty() ? "" : (dir / binary).string();
}

// Replaces this process by `binary` from the same directory, same arguments.
int exec_sibling(const char* binary, char** argv) {
  std::string path = sibling(binary);
  if (path.empty()) {
    std::cerr << "surrogate: cannot find its own path to run " << binary << "\n";
    return 1;
  }
  argv[0] = const_cast<char*>(path.c_str());
  execv(path.c_str(), argv);
  std::cerr << "surrogate: cannot run " << path << ": " << std::strerror(errno) << "\n";
  return 1;
}

// `surrogate CMD ...` and `surrogate help CMD` for a CMD of `commands`: the
// same words run by `binary` (its help is the command's real one, not this
// program's stub). Empty when argv[1] names none of them.
template <std::size_t N>
std::optional<int> hand_over(const char* const (&commands)[N][2], const char* binary, int argc, char** argv) {
  for (const auto& c : commands) {
    if (std::strcmp(argv[1], c[0]) == 0) return exec_sibling(binary, argv);
    if (argc == 3 && std::strcmp(argv[1], "help") == 0 && std::strcmp(argv[2], c[0]) == 0) {
      char help[] = "--help";
      char* args[] = {argv[0], argv[2], help, nullptr};
      return exec_sibling(binary, args);
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace surrogate::cli;
  if (argc > 1) {
    if (optimize_needs_torch(argc, argv)) return exec_sibling("surrogate-nn", argv);
    if (const std::optional<int> status = hand_over(kNnCommands, "surrogate-nn", argc, argv)) return *status;
#ifndef SURROGATE_MCA_BINARY
    for (const char* c : kMcaCommands)
      if (std::strcmp(argv[1], c) == 0) {
        std::string mca = sibling("surrogate-mca");
        if (!mca.empty() && access(mca.c_str(), X_OK) == 0) return exec_sibling("surrogate-mca", argv);
      }
    if (const std::optional<int> status = hand_over(kMcaOnlyCommands, "surrogate-mca", argc, argv)) return *status;
#endif
  }
  CLI::App app("surrogate: neural surrogates of x86-64 basic-block performance models (LLVM 19 llvm-mca)");
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", std::string("surrogate 0.1.0"));
  std::vector<Command> commands{add_cpus_command(app),     add_simulate_command(app), add_label_command(app),
                                add_params_command(app),   add_disasm_command(app),   add_measure_command(app),
                                add_evaluate_command(app), add_predict_command(app),  add_synth_command(app)};
#ifdef SURROGATE_MCA_BINARY
  commands.push_back(add_optimize_command(app));
  commands.push_back(add_verify_command(app));
#else
  for (const auto& c : kMcaOnlyCommands) app.add_subcommand(c[0], c[1]);  // listed in --help; run by surrogate-mca
#endif
  for (const auto& c : kNnCommands) app.add_subcommand(c[0], c[1]);  // listed in --help; run by surrogate-nn
  return run_command_line(app, commands, argc, argv);
}
