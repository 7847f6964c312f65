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

std::string read_input(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  return read_file(path);
}

namespace {

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)); }

// CSV/hex when the first content line starts with "hex" or a run of hex
// digits followed by ',' or end of line.
bool looks_like_csv(const std::string& text) {
  std::size_t from = 0;
  while (from < text.size()) {
    const std::size_t end = std::min(text.find('\n', from), text.size());
    std::string_view line = std::string_view(text).substr(from, end - from);
    from = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("hex", 0) == 0 && (line.size() == 3 || line[3] == ',')) return true;
    std::size_t i = 0;
    while (i < line.size() && is_hex_digit(line[i])) ++i;
    return i > 0 && (i == line.size() || line[i] == ',');
  }
  return false;
}

}  // namespace

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

InputFormat detect_format(const std::string& text) {
  if (is_elf(text)) return InputFormat::kElf;
  if (looks_like_csv(text)) return InputFormat::kCsv;
  return InputFormat::kAsm;
}

void report_notes(const std::vector<std::string>& notes, std::size_t max_notes) {
  for (std::size_t i = 0; i < notes.size() && i < max_notes; ++i) std::cerr << notes[i] << '\n';
  if (notes.size() > max_notes) std::cerr << "... and " << notes.size() - max_notes << " more notes\n";
}

BlockFile read_block_file(const std::string& path, const ReadOptions& options) {
  return read_block_text(read_input(path), path, options);
}

BlockFile read_block_text(std::string text, const std::string& path, const ReadOptions& options) {
  std::string name = input_name(path);
  InputFormat format = options.format == InputFormat::kAuto ? detect_format(text) : options.format;
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
  std::vector<std::string> notes;
  for (const std::string& path : paths) {
    BlockFile file = read_block_file(path, options);
    notes.insert(notes.end(), file.notes.begin(), file.notes.end());
    if (blocks.empty())
      blocks = std::move(file.blocks);
    else
      for (auto& b : file.blocks) blocks.push_back(std::move(b));
  }
  report_notes(notes, max_notes);
  return blocks;
}

std::vector<BasicBlock> read_blocks(const std::string& path) { return read_blocks(std::vector<std::string>{path}); }

}  // namespace surrogate
