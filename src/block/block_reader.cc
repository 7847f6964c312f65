#include "block/block_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "block/asm_reader.h"
#include "block/elf_reader.h"
#include "util/atomic_file.h"
#include "util/input_error.h"

namespace surrogate {

namespace {

std::string slurp(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  return read_file(path);
}

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)); }

// CSV/hex when the first content line starts with "hex" or a run of hex
// digits followed by ',' or end of line.
bool looks_like_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("hex", 0) == 0 && (line.size() == 3 || line[3] == ',')) return true;
    std::size_t i = 0;
    while (i < line.size() && is_hex_digit(line[i])) ++i;
    return i > 0 && (i == line.size() || line[i] == ',');
  }
  return false;
}

}  // namespace

BlockFile read_block_file(const std::string& path, const ReadOptions& options) {
  std::string name = path == "-" ? "<stdin>" : path;
  std::string text = slurp(path);
  InputFormat format = options.format;
  if (format == InputFormat::kAuto) {
    if (is_elf(text))
      format = InputFormat::kElf;
    else if (looks_like_csv(text))
      format = InputFormat::kCsv;
    else
      format = InputFormat::kAsm;
  }
  switch (format) {
    case InputFormat::kElf:
      if (path == "-") throw InputError({name}, "ELF input must be a file, not standard input");
      return read_elf(path);
    case InputFormat::kAsm:
      return read_asm(text, name, options.syntax);
    default: {
      const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
      std::istringstream in(std::move(text));
      BlockFile file = read_bhive_csv(in, name, options.decode, lines);
      if (file.blocks.empty()) throw InputError({name}, "no blocks found");
      return file;
    }
  }
}

std::vector<BasicBlock> read_blocks(const std::vector<std::string>& paths, const ReadOptions& options,
                                    std::size_t max_notes) {
  std::vector<BasicBlock> blocks;
  std::size_t notes = 0;
  for (const std::string& path : paths) {
    BlockFile file = read_block_file(path, options);
    for (const std::string& note : file.notes)
      if (notes++ < max_notes) std::cerr << note << '\n';
    if (blocks.empty())
      blocks = std::move(file.blocks);
    else
      for (auto& b : file.blocks) blocks.push_back(std::move(b));
  }
  if (notes > max_notes) std::cerr << "... and " << notes - max_notes << " more notes\n";
  return blocks;
}

std::vector<BasicBlock> read_blocks(const std::string& path) { return read_blocks(std::vector<std::string>{path}); }

}  // namespace surrogate
