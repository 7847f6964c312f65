#include "dataset/label_store.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "block/bhive_csv.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/input_error.h"

namespace surrogate {
namespace {

constexpr char kMagic[8] = {'S', 'R', 'G', 'L', 'A', 'B', 'E', 'L'};
constexpr std::uint32_t kVersion = 1;

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Reads binary fields with bounds checks; errors name the byte offset.
class Cursor {
 public:
  Cursor(const std::string& data, const std::string& path) : data_(data), path_(path) {}
  template <typename T>
  T get(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }
  const char* take(std::size_t n, const char* what) {
    if (n > data_.size() - pos_)
      throw InputError({path_, 0, pos_}, std::string("truncated label store (") + what + ")");
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::size_t pos() const { return pos_; }

 private:
  const std::string& data_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

LabelSet read_binary(const std::string& data, const std::string& path) {
  if (data.size() < sizeof kMagic + 12) throw InputError({path, 0, 0}, "truncated label store");
  std::uint32_t stored_crc;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  if (crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size() - 4)) != stored_crc)
    throw InputError({path, 0, data.size() - 4}, "checksum mismatch (label store corrupt or truncated)");
  Cursor c(data, path);
  c.take(sizeof kMagic, "magic");
  if (std::uint32_t v = c.get<std::uint32_t>("version"); v != kVersion)
    throw InputError({path, 0, 8}, "label store version " + std::to_string(v) + ", this build reads " +
                                       std::to_string(kVersion));
  std::uint32_t header_size = c.get<std::uint32_t>("header length");
  nlohmann::json header = nlohmann::json::parse(std::string(c.take(header_size, "header"), header_size), nullptr, false);
  if (header.is_discarded() || !header.contains("rows")) throw InputError({path, 0, 16}, "bad label store header");
  LabelSet set;
  set.description = header.value("labels", "");
  std::size_t rows = header["rows"].get<std::size_t>();
  set.blocks.resize(rows);
  for (LabelledBlock& b : set.blocks) {
    std::uint16_t n = c.get<std::uint16_t>("code length");
    const char* p = c.take(n, "code");
    b.bytes.assign(p, p + n);
    b.throughput = c.get<float>("throughput");
    std::uint16_t s = c.get<std::uint16_t>("source length");
    b.source.assign(c.take(s, "source"), s);
  }
  if (c.pos() != data.size() - 4) throw InputError({path, 0, c.pos()}, "trailing bytes in label store");
  return set;
}

LabelSet read_csv(const std::string& data, const std::string& path) {
  LabelSet set;
  set.description = path;
  std::istringstream in(data);
  std::string line;
  int throughput_column = 1, sources_column = -1;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::size_t> starts;
    std::vector<std::string> fields = split_csv_line(line, &starts);
    if (fields[0] == "hex") {
      throughput_column = sources_column = -1;
      for (std::size_t i = 1; i < fields.size(); ++i) {
        if (fields[i] == "throughput") throughput_column = static_cast<int>(i);
        if (fields[i] == "sources") sources_column = static_cast<int>(i);
      }
      continue;
    }
    LabelledBlock b;
    std::size_t bad = 0;
    std::string error;
    auto bytes = parse_hex(fields[0], &bad, &error);
    if (!bytes) throw InputError({path, line_no, bad}, error);
    b.bytes = std::move(*bytes);
    b.throughput = std::numeric_limits<float>::quiet_NaN();
    if (throughput_column > 0 && static_cast<std::size_t>(throughput_column) < fields.size() &&
        !fields[throughput_column].empty()) {
      const std::string& f = fields[throughput_column];
      char* end = nullptr;
      double v = std::strtod(f.c_str(), &end);
      if (end != f.c_str() + f.size() || !(v >= 0))
        throw InputError({path, line_no, starts[throughput_column]}, "throughput is not a non-negative number: '" + f + "'");
      b.throughput = static_cast<float>(v);
    }
    if (sources_column > 0 && static_cast<std::size_t>(sources_column) < fields.size()) b.source = fields[sources_column];
    set.blocks.push_back(std::move(b));
  }
  return set;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

LabelSet read_labels(const std::string& path) {
  std::string data = read_file(path);
  if (data.size() >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0) return read_binary(data, path);
  return read_csv(data, path);
}

void write_labels(const std::string& path, const LabelSet& labels) {
  std::string out;
  if (ends_with(path, ".csv")) {
    out = "hex,throughput,sources\n";
    for (const LabelledBlock& b : labels.blocks) {
      out += to_hex(b.bytes) + ",";
      if (b.labelled()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", b.throughput);
        out += buf;
      }
      out += "," + b.source + "\n";
    }
    write_file_atomically(path, out);
    return;
  }
  std::string header = nlohmann::json{{"rows", labels.blocks.size()}, {"labels", labels.description}}.dump();
  out.append(kMagic, sizeof kMagic);
  put(out, kVersion);
  put(out, static_cast<std::uint32_t>(header.size()));
  out += header;
  for (const LabelledBlock& b : labels.blocks) {
    if (b.bytes.size() > 0xFFFF || b.source.size() > 0xFFFF)
      throw std::runtime_error(path + ": a block or its source is too long for the label store");
    put(out, static_cast<std::uint16_t>(b.bytes.size()));
    out.append(reinterpret_cast<const char*>(b.bytes.data()), b.bytes.size());
    put(out, b.throughput);
    put(out, static_cast<std::uint16_t>(b.source.size()));
    out += b.source;
  }
  put(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()))));
  write_file_atomically(path, out);
}

}  // namespace surrogate
