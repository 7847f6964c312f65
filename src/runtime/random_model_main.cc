// surrogate_random_model: writes a .srg model with seeded random weights whose
// vocabulary is every token of the given blocks (for tests and benchmarks:
// its predictions are meaningless, its cost is a trained model's).
#include <CLI/CLI.hpp>
#include <iostream>

#include "block/block_reader.h"
#include "block/tokenizer.h"
#include "runtime/model_file.h"

int main(int argc, char** argv) {
  using namespace surrogate;
  CLI::App app("surrogate_random_model: a random hierarchical-LSTM model file (.srg) for tests and benchmarks");
  int width = 64, depth = 1;
  std::uint64_t seed = 1;
  std::string output;
  std::vector<std::string> inputs;
  app.add_option("--width", width, "W: embedding and hidden size")->check(CLI::Range(1, 4096));
  app.add_option("--depth", depth, "D: instruction-LSTM layers")->check(CLI::Range(1, 64));
  app.add_option("--seed", seed, "random seed");
  app.add_option("-o,--output", output, "model file to write")->required();
  app.add_option("inputs", inputs, "blocks whose tokens make the vocabulary")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<block::InstructionTokens> instructions;
    for (const block::BasicBlock& block : block::read_blocks(inputs))
      for (block::InstructionTokens& t : block::tokenize_block(block)) instructions.push_back(std::move(t));
    runtime::write_model_file(output,
                              runtime::random_model_file(block::Vocabulary::build(instructions), width, depth, seed));
  } catch (const std::exception& e) {
    std::cerr << "surrogate_random_model: error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
