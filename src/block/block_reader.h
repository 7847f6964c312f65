// read_blocks: any supported input file -> basic blocks.
//
// The format is chosen from the content: ELF magic -> ELF object or
// executable; lines whose first field is hex (or a "hex" header) -> BHive CSV
// / hex lines; anything else -> assembly text. "-" reads standard input.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "block/bhive_csv.h"

namespace surrogate {

enum class InputFormat { kAuto, kCsv, kAsm, kElf };

struct ReadOptions {
  InputFormat format = InputFormat::kAuto;
  std::optional<AsmSyntax> syntax;  // for assembly; detected when unset
  DecodeBlock decode;               // for CSV / hex lines; a Decoder when unset
};

// Throws InputError (bad content, with position) or std::runtime_error
// ("PATH: cannot open: reason").
BlockFile read_block_file(const std::string& path, const ReadOptions& options = {});

// The pieces of read_block_file, for a reader of its own (`predict` visits
// CSV rows without making blocks): an input's whole text ("-": standard
// input), the name messages give it, and the format its content has (never
// kAuto).
std::string read_input(const std::string& path);
// read_block_file on the text read_input(path) gave.
BlockFile read_block_text(std::string text, const std::string& path, const ReadOptions& options = {});
std::string input_name(const std::string& path);
InputFormat detect_format(const std::string& text);
// Prints notes to stderr: at most `max_notes`, then a count of the rest.
void report_notes(const std::vector<std::string>& notes, std::size_t max_notes = 10);

// All blocks of several inputs, in order; notes are printed to stderr, at
// most `max_notes` of them, then a count.
std::vector<BasicBlock> read_blocks(const std::vector<std::string>& paths, const ReadOptions& options = {},
                                    std::size_t max_notes = 10);
std::vector<BasicBlock> read_blocks(const std::string& path);

}  // namespace surrogate
