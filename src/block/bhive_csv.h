// BHive-style CSV: one block per row, "hex[,throughput][,more...]".
//
// A header row is recognised by a field named "hex" (any case, quoted or
// not, in any column); with a header the throughput is the column named
// "throughput" (cycles per 100 iterations) and every other column is kept
// verbatim in BasicBlock::extra_columns. Without a header the hex is the first
// field and a numeric second field is the throughput. A file of bare hex
// lines is the one-column case. Fields are separated by ',' (or, when the
// first line has none, a tab or ';'); a UTF-8 byte-order mark is skipped.
// Empty lines and lines starting with '#' are skipped.
#pragma once

#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "block/basic_block.h"
#include "block/decoder.h"

namespace surrogate::block {

struct BlockFile {
  std::vector<BasicBlock> blocks;
  // Names of the kept extra columns (from a header; empty names without one).
  std::vector<std::string> extra_column_names;
  // Notes for the user (e.g. dropped trailing branches), one line each.
  std::vector<std::string> notes;
};

// Turns a row's machine code into its block, as Decoder::decode_block does
// (same errors; it may leave out what its caller does not need).
using DecodeBlock = std::function<BasicBlock(std::vector<std::uint8_t> bytes, std::string name,
                                             const BytePosition& where, std::vector<std::string>* notes)>;

// One data row of a BHive CSV file, as read and checked.
struct BhiveRow {
  std::size_t line = 0;                    // 1-based
  BytePosition where;                      // of the hex field
  std::vector<std::uint8_t> bytes;         // the row's machine code (a visitor may take it)
  std::optional<double> throughput;        // cycles per 100 iterations, when the row has one
  std::vector<std::string> extra_columns;  // verbatim, in input order
  // Set when the row cannot be read (bad hex or throughput) and bad rows are
  // kept: bytes and throughput are then empty, `text` is its hex field.
  std::optional<util::RowError> error;
  std::string text;
};

// Hands every data row of CSV text to `visit`, in order, with the checks and
// errors of read_bhive_csv (which is built on it); the row object is reused
// between calls. Returns the header's extra column names (none without a
// header). A bad row throws InputError, or with `keep_bad_rows` is visited
// with its error set.
std::vector<std::string> visit_bhive_csv(std::istream& in, const std::string& input,
                                         const std::function<void(BhiveRow&)>& visit, bool keep_bad_rows = false);

// Reads blocks from CSV text. `input` names the source in messages. Throws
// InputError naming line and byte on malformed rows. Rows are decoded by
// `decode` when given, else by a Decoder. `expected_rows`: room reserved for
// that many blocks (a hint; growing a vector of 12k blocks cost a thousand
// page faults). With `keep_bad_rows`, a row that cannot be read or decoded
// becomes a block with its error set (BasicBlock::error) instead.
BlockFile read_bhive_csv(std::istream& in, const std::string& input, const DecodeBlock& decode = {},
                         std::size_t expected_rows = 0, bool keep_bad_rows = false);

// True when `text` reads as BHive CSV / hex lines: its first content line
// (after a UTF-8 byte-order mark, blank lines and '#' comments) has a field
// named "hex" (any case, quoted or not), or its first field is hex digits.
bool looks_like_bhive_csv(std::string_view text);
// The field separator of a file whose first content line is `first_line`:
// ',' if it has one, else a tab, else ';'.
char csv_separator(std::string_view first_line);

// `field` as one CSV field: as it is, or in double quotes (quotes doubled,
// line breaks made spaces) when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view field);

// Splits one CSV line into fields, honouring double quotes; field_starts gets
// each field's byte offset in the line.
std::vector<std::string> split_csv_line(const std::string& line, std::vector<std::size_t>* field_starts);

}  // namespace surrogate::block
