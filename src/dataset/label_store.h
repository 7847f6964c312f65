// Labelled blocks on disk: BHive CSV (hex,throughput[,sources...]) or the
// compact binary store, which loads the whole shared BHive file in
// milliseconds.
//
// Binary store, little-endian:
//   "SRGLABEL" u32 version, u32 header length, JSON header
//   ({"rows":N, "labels": what produced them, e.g. "llvm-mca-19 haswell 100 iterations"}),
//   N rows of: u16 code length, code bytes, f32 throughput (NaN: none), u16
//   source length, source bytes; then u32 CRC-32 of everything before it.
// Version 2 (written only when rows carry parameter sets) adds to the header
// "parameter_layout" and "parameter_sets": S, to each row a u32 parameter
// set index after its source, and after the rows S sets of: u32 count, then
// count x (u32 field index, f32 value). Version 1 files read as before.
// Throughputs are cycles per 100 iterations.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "util/input_error.h"

namespace surrogate::dataset {

// The parameter values a row was labelled under (parameter-conditioned
// labels, for tune): fields of a ParameterLayout (mca/parameter_vector.h) by
// index, each with its value; fields not listed keep the layout's base
// values (e.g. the CPU's own).
struct ParameterSet {
  std::vector<std::pair<std::uint32_t, float>> values;  // (field index, value), field indices ascending
  bool operator==(const ParameterSet&) const = default;
};

struct LabelledBlock {
  std::vector<std::uint8_t> bytes;  // machine code
  float throughput = 0;             // cycles per 100 iterations; NaN when unknown
  std::string source;               // BHive `sources` column, when known
  std::uint32_t parameter_set = 0;  // index into LabelSet::parameter_sets (0: the base values)
  // A CSV row's columns beyond hex and throughput (LabelSet::column_names),
  // verbatim: the row's identity (e.g. `name`, `sources`) for joins.
  std::vector<std::string> columns = {};
  bool labelled() const { return throughput == throughput; }
};

struct LabelSet {
  std::string description;  // what produced the labels
  std::vector<LabelledBlock> blocks;
  // Names of a CSV file's columns beyond hex and throughput, in order (empty
  // for the binary store and header-less CSV).
  std::vector<std::string> column_names;
  // Parameter-conditioned labels: the layout the field indices refer to
  // (ParameterLayout::fingerprint()) and the sets rows refer to. Set 0 is
  // always the empty set (base values); with only that set (or none) the
  // label set is an ordinary one.
  std::string parameter_layout;
  std::vector<ParameterSet> parameter_sets;
  bool has_parameter_sets() const { return parameter_sets.size() > 1; }
  // CSV rows that could not be read (bad hex or throughput): not in
  // `blocks`; the reader's caller reports them (block_reader.h
  // report_row_errors).
  std::vector<util::RowError> unreadable_rows;
};

// Reads either format (sniffed by the magic). CSV rows are taken verbatim
// (not decoded): hex, then the "throughput" column and the "sources" column
// when the header names them. Throws InputError / std::runtime_error naming
// the file and position.
LabelSet read_labels(const std::string& path);
// read_labels on a file's content; `name` names it in messages.
LabelSet parse_labels(const std::string& data, const std::string& name);

// Writes the binary store, or CSV when `path` ends in ".csv"; atomically.
// Throws std::invalid_argument for a CSV path when the set has parameter
// sets (only the binary store holds them) or when a row names a set that
// does not exist.
void write_labels(const std::string& path, const LabelSet& labels);

}  // namespace surrogate::dataset
