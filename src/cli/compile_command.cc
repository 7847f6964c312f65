#include "cli/compile_command.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include "apps/compile.h"
#include "util/atomic_file.h"

namespace surrogate::cli {

namespace {

int run(const std::string& spec_path, bool force) {
  apps::CompileSpec spec = apps::read_compile_spec(spec_path);
  // Hours of search must not silently replace a model the user has (the
  // shipped specs name the shipped models).
  if (!force && !spec.output_model.empty() && std::filesystem::exists(spec.output_model))
    throw std::runtime_error(spec.output_model +
                             " exists: give --force to replace it, or name another [output] model in " + spec_path);
  install_interrupt_handler();
  std::unique_ptr<mca::Labeller> program = apps::program_labeller(spec);
  apps::CompileResult r = apps::compile(spec, *program, std::cerr, &interrupted);
  if (r.interrupted) {
    std::cerr << "surrogate compile: interrupted; run the same command again to resume (checkpoints in "
              << spec.output_dir << ")\n";
    return 130;
  }
  std::cout << util::read_file(spec.output_dir + "/capacity.md");
  if (r.chosen < 0) {
    std::cerr << "surrogate compile: no width meets max_error = " << spec.max_error
              << " on the validation split; exported the most accurate one"
              << (spec.output_model.empty() ? "" : " to " + spec.output_model) << "\n";
    return 3;  // not 1 (an error) nor 2 (a usage error): done, but the bound is not met
  }
  std::cerr << "surrogate compile: width " << r.rows[r.chosen].width << " meets the specification"
            << (spec.output_model.empty() ? "" : "; model written to " + spec.output_model) << "\n";
  return 0;
}

}  // namespace

Command add_compile_command(CLI::App& app) {
  auto spec = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand(
      "compile",
      "Neural compilation: train surrogates of increasing width (capacity search) until one meets the "
      "specification's error bound, then export the cheapest that does. Writes DIR/capacity.csv and "
      "DIR/capacity.md (width, depth, parameters, training time, validation and test MAPE, Kendall tau, deployed "
      "blocks/s, speed-up over the simulator). Resumable: run it again after an interruption. Exit status 3 when no "
      "width meets the bound (the most accurate one is exported). See specs/haswell.toml.");
  sub->add_option("--spec", *spec, "specification (TOML)")->required();
  sub->add_flag("--force", *force, "replace the specification's output model if it exists");
  return {sub, [spec, force] { return run(*spec, *force); }};
}

}  // namespace surrogate::cli
