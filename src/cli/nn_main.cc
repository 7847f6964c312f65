// surrogate-nn: the commands of surrogate that need LibTorch (train, compile, adapt, tune, train-conditioned,
// and optimize --guide gradient). Users run them as `surrogate train` / `surrogate compile` (see main.cc).
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include "apps/gradient_operand_guide.h"
#include "cli/adapt_command.h"
#include "cli/command.h"
#include "cli/compile_command.h"
#include "cli/optimize_command.h"
#include "cli/train_command.h"
#include "cli/train_conditioned_command.h"
#include "cli/tune_command.h"

int main(int argc, char** argv) {
  using namespace surrogate::cli;
  CLI::App app("surrogate (training commands, LibTorch): neural surrogates of x86-64 basic-block performance models");
  app.name("surrogate");
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", std::string("surrogate 0.1.0"));
  std::vector<Command> commands{add_train_command(app), add_compile_command(app),           add_adapt_command(app),
                                add_tune_command(app),  add_train_conditioned_command(app), add_optimize_command(app)};
  set_gradient_guide_maker([](const std::string& model) {
    torch::set_num_threads(1);  // one guide per optimize thread
    return std::make_unique<surrogate::apps::GradientOperandGuide>(surrogate::runtime::read_model_file(model));
  });
  return run_command_line(app, commands, argc, argv);
}
