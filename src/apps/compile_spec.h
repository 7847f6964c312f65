// The specification of a neural compilation (apps/compile.h): the program
// to replace, the error bound, the cost, the capacity search, the training
// and the outputs. A TOML file:
//   [program]  simulator = "llvm-mca-19", cpu = "haswell", iterations = 100
//   [data]     labels = "build/haswell.labels"    (from `surrogate label`)
//   [error]    metric = "mape", max_error = 0.05   (on the validation split)
//   [objective] cost = "blocks_per_second"         (deployed, one thread)
//   [search]   widths = [8, 16, 32, 64, 128, 256], depth = 1, jobs = 2
//   [training] max_minutes = 45, max_epochs = 60, batch_size = 64,
//              learning_rate = 0.001, patience = 4, seed = 1
//   [output]   dir = "build/compile-haswell", model = "models/haswell.srg"
// Reading it needs no LibTorch (it is fuzzed in builds without it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/train_options.h"

namespace surrogate::apps {

struct CompileSpec {
  std::string path;  // the spec file, for messages
  std::string simulator = "llvm-mca-19";
  std::string cpu;
  unsigned iterations = 100;
  std::string labels;
  std::string metric = "mape";
  double max_error = 0.05;
  std::string cost = "blocks_per_second";
  std::vector<std::int64_t> widths{8, 16, 32, 64, 128, 256};
  std::int64_t depth = 1;
  std::string frontend = "llvm19-x86-tokens";  // what the candidates read (runtime/frontend.h)
  unsigned jobs = 1;
  nn::TrainOptions training;
  double max_minutes = 0;
  std::string output_dir;
  std::string output_model;
};

// The spec in `text`, read from `path` (named in messages). Throws
// util::InputError naming the file, line and key on a bad spec.
CompileSpec parse_compile_spec(const std::string& text, const std::string& path);

// The spec file at `path` (InputError if unreadable or bad).
CompileSpec read_compile_spec(const std::string& path);

}  // namespace surrogate::apps
