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

namespace surrogate::block {

std::string read_input(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    text = util::read_file(path);
  }
  return util::is_gzip(text) ? util::gunzip(text, input_name(path)) : text;
}

namespace {

// The first line with content (no blank lines or '#' comments), at most 40
// characters.
std::string first_content_line(const std::string& text) {
  std::size_t from = 0;
  while (from < text.size()) {
    std::size_t end = std::min(text.find('\n', from), text.size());
    std::string line = text.substr(from, end - from);
    from = end + 1;
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.size() > 40) line = line.substr(0, 40) + "...";
    return line;
  }
  return "";
}

// Assembly chosen because the text is neither ELF nor CSV: if the assembler
// fails on the first line, the file is most likely no block file at all,
// and saying so helps more than the assembler's complaint alone.
BlockFile read_guessed_asm(const std::string& text, const std::string& name, const ReadOptions& options) {
  const std::size_t head = std::min<std::size_t>(text.size(), 512);
  std::size_t binary = 0;
  for (std::size_t i = 0; i < head; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    binary += c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t');
  }
  if (binary > head / 20)
    throw util::InputError({name},
                           "not a block file: binary data, and not ELF (blocks are read from BHive CSV / hex "
                           "lines, assembly or x86-64 ELF)");
  try {
    return read_asm(text, name, options.syntax);
  } catch (const util::InputError& e) {
    const std::string first = first_content_line(text);
    std::size_t first_line = 0;  // 1-based line of `first`
    for (std::size_t at = 0, line = 1; at < text.size(); ++line) {
      std::size_t end = std::min(text.find('\n', at), text.size());
      const std::string l = text.substr(at, end - at);
      const std::size_t start = l.find_first_not_of(" \t\r");
      if (start != std::string::npos && l[start] != '#') {
        first_line = line;
        break;
      }
      at = end + 1;
    }
    if (first_line == 0 || e.where().line != first_line) throw;
    throw util::InputError(e.where(), "not a block file? '" + first +
                                          "' is neither hex, a CSV header naming a hex "
                                          "column, nor assembly (" +
                                          e.reason() + "; --input-format forces a format)");
  }
}

}  // namespace

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
      if (path == "-") throw util::InputError({name}, "ELF input must be a file, not standard input");
      return read_elf(path, options.liveness);
    case InputFormat::kAsm:
      if (options.format == InputFormat::kAuto) return read_guessed_asm(text, name, options);
      return read_asm(text, name, options.syntax);
    default: {
      const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
      std::istringstream in(std::move(text));
      BlockFile file = read_bhive_csv(in, name, options.decode, lines, options.keep_bad_rows);
      if (file.blocks.empty()) throw util::InputError({name}, "no blocks found");
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

std::string RowIdentity::header() const {
  if (by_name) return ",name";
  std::string h;
  for (const std::string& c : columns) h += "," + csv_field(c);
  return h;
}

std::string RowIdentity::cells(const BasicBlock& b) const {
  if (by_name) return "," + csv_field(b.name);
  std::string row;
  for (std::size_t i = 0; i < columns.size(); ++i)
    row += "," + (i < b.extra_columns.size() ? csv_field(b.extra_columns[i]) : std::string());
  return row;
}

void RowIdentity::add_input(bool csv, const std::vector<std::string>& extra_columns) {
  if (!csv) {
    by_name = true;
    columns.clear();
  } else if (!by_name) {
    if (inputs_ == 0)
      columns = extra_columns;
    else if (columns != extra_columns)
      columns.clear();  // inputs disagree: their columns are not carried
  }
  ++inputs_;
}

BlockInputs read_block_inputs(const std::vector<std::string>& paths, const ReadOptions& options) {
  BlockInputs in;
  std::vector<std::string> notes;
  for (const std::string& path : paths) {
    std::string text = read_input(path);
    const InputFormat format = options.format == InputFormat::kAuto ? detect_format(text) : options.format;
    BlockFile file = read_block_text(std::move(text), path, options);
    notes.insert(notes.end(), file.notes.begin(), file.notes.end());
    in.identity.add_input(format == InputFormat::kCsv, file.extra_column_names);
    const auto sources = std::find(file.extra_column_names.begin(), file.extra_column_names.end(), "sources");
    const std::size_t column = static_cast<std::size_t>(sources - file.extra_column_names.begin());
    for (BasicBlock& b : file.blocks) {
      in.sources.push_back(column < b.extra_columns.size() ? b.extra_columns[column] : "");
      in.blocks.push_back(std::move(b));
    }
  }
  report_notes(notes);
  return in;
}

std::size_t report_row_errors(std::size_t rows, const std::function<const util::RowError*(std::size_t)>& error_of,
                              const std::string& command, std::ostream& log) {
  std::vector<std::pair<std::string, std::size_t>> kinds;  // in order of first appearance
  std::size_t bad = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const util::RowError* e = error_of(r);
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

}  // namespace surrogate::block
