#include "dataset/label_store.h"

#include <algorithm>

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

namespace surrogate::dataset {
namespace {

constexpr char kMagic[8] = {'S', 'R', 'G', 'L', 'A', 'B', 'E', 'L'};
constexpr std::uint32_t kVersion = 1;               // without parameter sets
constexpr std::uint32_t kParameterizedVersion = 2;  // rows carry a parameter set

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
      throw util::InputError({path_, 0, pos_}, std::string("truncated label store (") + what + ")");
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
  if (data.size() < sizeof kMagic + 12) throw util::InputError({path, 0, 0}, "truncated label store");
  std::uint32_t stored_crc;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  if (crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size() - 4)) != stored_crc)
    throw util::InputError({path, 0, data.size() - 4}, "checksum mismatch (label store corrupt or truncated)");
  Cursor c(data, path);
  c.take(sizeof kMagic, "magic");
  const std::uint32_t version = c.get<std::uint32_t>("version");
  if (version != kVersion && version != kParameterizedVersion)
    throw util::InputError({path, 0, 8}, "label store version " + std::to_string(version) + ", this build reads " +
                                             std::to_string(kVersion) + " and " +
                                             std::to_string(kParameterizedVersion));
  const bool parameterized = version == kParameterizedVersion;
  std::uint32_t header_size = c.get<std::uint32_t>("header length");
  nlohmann::json header =
      nlohmann::json::parse(std::string(c.take(header_size, "header"), header_size), nullptr, false);
  // A count is bounded by the bytes left: each row takes at least 8 bytes
  // (each parameter set 4), so a lying header cannot make us allocate.
  auto count = [&](const char* key, std::size_t min_bytes) -> std::size_t {
    if (header.is_discarded() || !header.contains(key) || !header[key].is_number_unsigned())
      throw util::InputError({path, 0, 16}, std::string("bad label store header (") + key + ")");
    std::uint64_t n = header[key].get<std::uint64_t>();
    if (n > (data.size() - c.pos()) / min_bytes)
      throw util::InputError(
          {path, 0, 16}, std::string("truncated label store (header claims ") + std::to_string(n) + " " + key + ")");
    return static_cast<std::size_t>(n);
  };
  LabelSet set;
  set.description = header.is_object() && header.contains("labels") && header["labels"].is_string()
                        ? header["labels"].get<std::string>()
                        : "";
  std::size_t rows = count("rows", 8);
  std::size_t sets = 0;
  if (parameterized) {
    sets = count("parameter_sets", 4);
    if (sets == 0) throw util::InputError({path, 0, 16}, "bad label store header (no parameter set)");
    if (!header.contains("parameter_layout") || !header["parameter_layout"].is_string())
      throw util::InputError({path, 0, 16}, "bad label store header (parameter_layout)");
    set.parameter_layout = header["parameter_layout"].get<std::string>();
  }
  set.blocks.resize(rows);
  for (LabelledBlock& b : set.blocks) {
    std::uint16_t n = c.get<std::uint16_t>("code length");
    const char* p = c.take(n, "code");
    b.bytes.assign(p, p + n);
    b.throughput = c.get<float>("throughput");
    std::uint16_t s = c.get<std::uint16_t>("source length");
    b.source.assign(c.take(s, "source"), s);
    if (parameterized) {
      const std::size_t at = c.pos();
      b.parameter_set = c.get<std::uint32_t>("parameter set");
      if (b.parameter_set >= sets)
        throw util::InputError({path, 0, at}, "row names parameter set " + std::to_string(b.parameter_set) + " of " +
                                                  std::to_string(sets));
    }
  }
  set.parameter_sets.resize(sets);
  for (ParameterSet& ps : set.parameter_sets) {
    const std::size_t at = c.pos();
    const std::uint32_t n = c.get<std::uint32_t>("parameter set size");
    if (n > (data.size() - c.pos()) / 8) throw util::InputError({path, 0, at}, "truncated label store (parameter set)");
    ps.values.resize(n);
    for (auto& [field, value] : ps.values) {
      field = c.get<std::uint32_t>("parameter field");
      value = c.get<float>("parameter value");
    }
  }
  if (parameterized && !set.parameter_sets[0].values.empty())
    throw util::InputError({path, 0, 16}, "parameter set 0 must be empty (the base values)");
  if (c.pos() != data.size() - 4) throw util::InputError({path, 0, c.pos()}, "trailing bytes in label store");
  return set;
}

// CSV through the one BHive CSV reader (block/bhive_csv.h: header, quoting,
// separators), rows not decoded. Rows that cannot be read are counted, not
// kept.
LabelSet read_csv(const std::string& data, const std::string& path) {
  LabelSet set;
  set.description = path;
  std::istringstream in(data);
  const std::vector<std::string> names = block::visit_bhive_csv(
      in, path,
      [&](block::BhiveRow& row) {
        if (row.error) {
          set.unreadable_rows.push_back(std::move(*row.error));
          return;
        }
        LabelledBlock b;
        b.bytes = std::move(row.bytes);
        b.throughput = row.throughput ? static_cast<float>(*row.throughput) : std::numeric_limits<float>::quiet_NaN();
        b.columns = std::move(row.extra_columns);
        set.blocks.push_back(std::move(b));
      },
      /*keep_bad_rows=*/true);
  const auto sources = std::find(names.begin(), names.end(), "sources");
  if (sources != names.end()) {
    const std::size_t c = static_cast<std::size_t>(sources - names.begin());
    for (LabelledBlock& b : set.blocks)
      if (c < b.columns.size()) b.source = b.columns[c];
  }
  set.column_names = names;
  return set;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

LabelSet read_labels(const std::string& path) { return parse_labels(util::read_file(path), path); }

LabelSet parse_labels(const std::string& data, const std::string& name) {
  if (data.size() >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0)
    return read_binary(data, name);
  return read_csv(data, name);
}

void write_labels(const std::string& path, const LabelSet& labels) {
  const bool parameterized = labels.has_parameter_sets();
  if (parameterized && !labels.parameter_sets[0].values.empty())
    throw std::invalid_argument(path + ": parameter set 0 must be empty (the base values)");
  for (const LabelledBlock& b : labels.blocks)
    if (b.parameter_set != 0 && b.parameter_set >= labels.parameter_sets.size())
      throw std::invalid_argument(path + ": a row names parameter set " + std::to_string(b.parameter_set) + " of " +
                                  std::to_string(labels.parameter_sets.size()));
  std::string out;
  if (ends_with(path, ".csv")) {
    if (parameterized)
      throw std::invalid_argument(path + ": labels with parameter sets need the binary store, not CSV");
    out = "hex,throughput,sources\n";
    for (const LabelledBlock& b : labels.blocks) {
      out += util::to_hex(b.bytes) + ",";
      if (b.labelled()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", b.throughput);
        out += buf;
      }
      out += "," + b.source + "\n";
    }
    util::write_file_atomically(path, out);
    return;
  }
  nlohmann::json header_json{{"rows", labels.blocks.size()}, {"labels", labels.description}};
  if (parameterized) {
    header_json["parameter_layout"] = labels.parameter_layout;
    header_json["parameter_sets"] = labels.parameter_sets.size();
  }
  std::string header = header_json.dump();
  out.append(kMagic, sizeof kMagic);
  put(out, parameterized ? kParameterizedVersion : kVersion);
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
    if (parameterized) put(out, b.parameter_set);
  }
  if (parameterized)
    for (const ParameterSet& ps : labels.parameter_sets) {
      put(out, static_cast<std::uint32_t>(ps.values.size()));
      for (const auto& [field, value] : ps.values) {
        put(out, field);
        put(out, value);
      }
    }
  put(out,
      static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()))));
  util::write_file_atomically(path, out);
}

}  // namespace surrogate::dataset
