// read_blocks: any supported input file -> basic blocks.
//
// The format is chosen from the content unless forced: ELF magic -> ELF
// object or executable; lines whose first field is hex (or a "hex" header)
// -> BHive CSV / hex lines; anything else -> assembly text. Gzip-compressed
// input is inflated first. "-" reads standard input.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "block/bhive_csv.h"

namespace surrogate::block {

enum class InputFormat { kAuto, kCsv, kAsm, kElf };

struct ReadOptions {
  InputFormat format = InputFormat::kAuto;
  std::optional<AsmSyntax> syntax;  // for assembly; detected when unset
  DecodeBlock decode;               // for CSV / hex lines; a Decoder when unset
  // CSV / hex lines: a row that cannot be read or decoded becomes a block
  // with its error set (BasicBlock::error) and the other rows go on; when
  // false, the first bad row throws.
  bool keep_bad_rows = false;
  // ELF: each block's live_out from its section's control flow (liveness.h).
  bool liveness = false;
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
// "auto", "csv", "hex" (= csv), "asm", "elf"; nullopt for another name.
std::optional<InputFormat> input_format_named(const std::string& name);
// Prints notes to stderr: at most `max_notes`, then a count of the rest.
void report_notes(const std::vector<std::string>& notes, std::size_t max_notes = 10);

// What an output row carries after `hex,throughput` to name its input row:
// the CSV inputs' extra columns, when every input is CSV with the same ones;
// "name" (BasicBlock::name: FILE:LINE of assembly, FILE:SYMBOL+0xOFF of ELF)
// when an input is assembly or ELF; else nothing.
struct RowIdentity {
  std::vector<std::string> columns;  // header names after hex,throughput
  bool by_name = false;
  std::string header() const;                    // ",sources,may_alias", ",name" or ""
  std::string cells(const BasicBlock& b) const;  // the row's, in the same form
  // The rule, one input at a time: the CSV columns after hex(,throughput)
  // are carried when every input is CSV with the same ones (else none); an
  // input that is not CSV (assembly, ELF) makes every row named (by_name).
  void add_input(bool csv, const std::vector<std::string>& extra_columns);

 private:
  std::size_t inputs_ = 0;
};

// Every block of several inputs, in order, and how output rows name them;
// notes are printed to stderr.
struct BlockInputs {
  std::vector<BasicBlock> blocks;
  RowIdentity identity;
  std::vector<std::string> sources;  // each block's BHive `sources` column ("" where its input has none)
};
BlockInputs read_block_inputs(const std::vector<std::string>& paths, const ReadOptions& options = {});

// Prints every bad row's error (one line each, file:line:col:) and then a
// summary, "surrogate COMMAND: 3 of 1000 rows skipped: 2 odd number of hex
// digits, 1 control flow inside the block"; returns the number of bad rows.
std::size_t report_bad_rows(const std::vector<BasicBlock>& blocks, const std::string& command, std::ostream& log);
// The same for rows of another kind: error_of(r) is row r's error or nullptr.
std::size_t report_row_errors(std::size_t rows, const std::function<const util::RowError*(std::size_t)>& error_of,
                              const std::string& command, std::ostream& log);

// All blocks of several inputs, in order; notes are printed to stderr, at
// most `max_notes` of them, then a count.
std::vector<BasicBlock> read_blocks(const std::vector<std::string>& paths, const ReadOptions& options = {},
                                    std::size_t max_notes = 10);
std::vector<BasicBlock> read_blocks(const std::string& path);

}  // namespace surrogate::block
