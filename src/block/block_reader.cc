#include "block/block_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "block/asm_reader.h"
#include "block/elf_reader.h"
#include "util/atomic_file.h"
#include "util/gzip.h"
#include "util/input_error.h"

namespace surrogate {

std::string read_input(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    text = read_file(path);
  }
  return is_gzip(text) ? gunzip(text, input_name(path)) : text;
}

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

InputFormat detect_format(const std::string& text) {
  if (is_elf(text)) return InputFormat::kElf;
  if (looks_like_bhive_csv(text)) return InputFormat::kCsv;
  return InputFormat::kAsm;
}

std::optional<InputFormat> input_format_named(const std::string& name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "csv" || name == "hex") return InputFormat::kCsv;
  if (name == "asm") return InputFormat::kAsm;
  if (name == "elf") return InputFormat::kElf;
  return std::nullopt;
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
      BlockFile file = read_bhive_csv(in, name, options.decode, lines, options.keep_bad_rows);
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

std::size_t report_row_errors(std::size_t rows, const std::function<const RowError*(std::size_t)>& error_of,
                              const std::string& command, std::ostream& log) {
  std::vector<std::pair<std::string, std::size_t>> kinds;  // in order of first appearance
  std::size_t bad = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const RowError* e = error_of(r);
    if (!e) continue;
    ++bad;
    log << e->message << '\n';
    auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == e->kind; });
    if (it == kinds.end())
      kinds.emplace_back(e->kind, 1);
    else
      ++it->second;
  }
  if (bad) {
    log << "surrogate " << command << ": " << bad << " of " << rows << " rows skipped:";
    for (std::size_t i = 0; i < kinds.size(); ++i) log << (i ? ", " : " ") << kinds[i].second << ' ' << kinds[i].first;
    log << '\n';
  }
  return bad;
}

std::size_t report_bad_rows(const std::vector<BasicBlock>& blocks, const std::string& command, std::ostream& log) {
  return report_row_errors(
      blocks.size(), [&](std::size_t r) { return blocks[r].error ? &*blocks[r].error : nullptr; }, command, log);
}

std::vector<BasicBlock> read_blocks(const std::string& path) { return read_blocks(std::vector<std::string>{path}); }

}  // namespace surrogate
