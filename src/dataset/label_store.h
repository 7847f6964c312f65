// Labelled blocks on disk: BHive CSV (hex,throughput[,sources...]) or the
// compact binary store, which loads the whole shared BHive file in
// milliseconds.
//
// Binary store, little-endian:
//   "SRGLABEL" u32 version=1, u32 header length, JSON header
//   ({"rows":N, "labels": what produced them, e.g. "llvm-mca-19 haswell 100 iterations"}),
//   N rows of: u16 code length, code bytes, f32 throughput (NaN: none), u16
//   source length, source bytes; then u32 CRC-32 of everything before it.
// Throughputs are cycles per 100 iterations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace surrogate {

struct LabelledBlock {
  std::vector<std::uint8_t> bytes;  // machine code
  float throughput = 0;             // cycles per 100 iterations; NaN when unknown
  std::string source;               // BHive `sources` column, when known
  bool labelled() const { return throughput == throughput; }
};

struct LabelSet {
  std::string description;  // what produced the labels
  std::vector<LabelledBlock> blocks;
};

// Reads either format (sniffed by the magic). CSV rows are taken verbatim
// (not decoded): hex, then the "throughput" column and the "sources" column
// when the header names them. Throws InputError / std::runtime_error naming
// the file and position.
LabelSet read_labels(const std::string& path);

// Writes the binary store, or CSV when `path` ends in ".csv"; atomically.
void write_labels(const std::string& path, const LabelSet& labels);

}  // namespace surrogate
