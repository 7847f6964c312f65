#include "runtime/model_file.h"

#include "runtime/frontend.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

#include "runtime/frontend.h"
#include "util/atomic_file.h"

namespace surrogate::runtime {

static_assert(std::endian::native == std::endian::little, "model files are little-endian; so must the host be");

namespace {

constexpr std::size_t kPrologue = 16;  // magic, version, header length
constexpr std::int64_t kMaxWidth = 1 << 16;
constexpr std::int64_t kMaxDepth = 1024;

std::uint32_t load_u32(const std::string& bytes, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}

void store_u32(std::string& bytes, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  bytes.append(b, 4);
}

std::uint32_t crc_of(const std::string& bytes, std::size_t size) {
  return static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()), size));
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

// The header's own description of the data: tensor names and shapes in file order.
std::vector<TensorSpec> header_tensors(const nlohmann::json& header, const std::string& name) {
  if (!header.is_object()) fail(name, "header: not a JSON object");
  auto it = header.find("tensors");
  if (it == header.end() || !it->is_array()) fail(name, "header: no \"tensors\" array");
  std::vector<TensorSpec> specs;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& t = (*it)[i];
    std::string where = "header: tensors[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) fail(name, where + ": no \"name\" string");
    TensorSpec spec{t["name"].get<std::string>(), {}};
    where += " (" + spec.name + ")";
    if (!t.contains("shape") || !t["shape"].is_array()) fail(name, where + ": no \"shape\" array");
    for (const nlohmann::json& d : t["shape"]) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > (1ll << 32))
        fail(name, where + ": shape " + t["shape"].dump() + " is not a list of sizes");
      spec.shape.push_back(d.get<std::int64_t>());
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

std::int64_t positive_int(const nlohmann::json& header, const char* key, std::int64_t max, const std::string& name) {
  auto it = header.find(key);
  if (it == header.end() || !it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > max)
    fail(name, std::string("header: \"") + key + "\" must be an integer in 1.." + std::to_string(max) +
                   (it == header.end() ? " (missing)" : " (is " + it->dump() + ")"));
  return it->get<std::int64_t>();
}

void expect_string(const nlohmann::json& header, const char* key, const std::string& value, const std::string& name) {
  auto it = header.find(key);
  if (it == header.end() || !it->is_string() || it->get<std::string>() != value)
    fail(name, std::string("header: \"") + key + "\" must be \"" + value + "\"" +
                   (it == header.end() ? " (missing)" : " (is " + it->dump() + ")"));
}

// Tensors present with the shapes a width-W, depth-D model needs, nothing else,
// every value finite.
void validate_tensors(const ModelFile& m, const std::string& name) {
  std::vector<TensorSpec> specs = model_tensor_specs(m.width, m.depth, m.vocabulary.size(), m.features());
  for (const TensorSpec& spec : specs) {
    auto t = m.tensors.find(spec.name);
    if (t == m.tensors.end()) fail(name, "tensor " + spec.name + " is missing");
    auto s = m.shapes.find(spec.name);
    if (s != m.shapes.end() && s->second != spec.shape)
      fail(name, "tensor " + spec.name + " has shape " + shape_text(s->second) + ", expected " +
                     shape_text(spec.shape) + " (width " + std::to_string(m.width) + ", depth " +
                     std::to_string(m.depth) + ", vocabulary " + std::to_string(m.vocabulary.size()) + ")");
    if (t->second.size() != spec.size())
      fail(name, "tensor " + spec.name + " has " + std::to_string(t->second.size()) + " values, expected " +
                     std::to_string(spec.size()) + " for shape " + shape_text(spec.shape));
    for (std::size_t i = 0; i < t->second.size(); ++i)
      if (!std::isfinite(t->second[i]))
        fail(name, "tensor " + spec.name + " value " + std::to_string(i) + " is not finite");
  }
  if (m.tensors.size() != specs.size())
    for (const auto& [tname, data] : m.tensors)
      if (std::none_of(specs.begin(), specs.end(), [&](const TensorSpec& s) { return s.name == tname; }))
        fail(name, "unexpected tensor " + tname);
}

}  // namespace

std::size_t TensorSpec::size() const {
  std::size_t n = 1;
  for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::vector<TensorSpec> model_tensor_specs(int width, int depth, std::size_t vocabulary_size, int features) {
  const std::int64_t w = width, g = 4 * std::int64_t{width}, v = static_cast<std::int64_t>(vocabulary_size);
  std::vector<TensorSpec> specs{{"embedding", {v, w}},
                                {"token_lstm.weight_ih", {g, w}},
                                {"token_lstm.weight_hh", {g, w}},
                                {"token_lstm.bias_ih", {g}},
                                {"token_lstm.bias_hh", {g}}};
  for (int k = 0; k < depth; ++k) {
    std::string l = "_l" + std::to_string(k);
    specs.push_back({"instruction_lstm.weight_ih" + l, {g, k == 0 ? w + features : w}});
    specs.push_back({"instruction_lstm.weight_hh" + l, {g, w}});
    specs.push_back({"instruction_lstm.bias_ih" + l, {g}});
    specs.push_back({"instruction_lstm.bias_hh" + l, {g}});
  }
  specs.push_back({"head.weight", {1, w}});
  specs.push_back({"head.bias", {1}});
  return specs;
}

const std::vector<float>& ModelFile::tensor(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw std::out_of_range("model has no tensor " + name);
  return it->second;
}

std::string model_cpu(const nlohmann::json& h) {
  if (!h.is_object() || !h.contains("metadata") || !h["metadata"].is_object()) return "";
  const nlohmann::json& m = h["metadata"];
  if (m.contains("cpu") && m["cpu"].is_string()) return m["cpu"];
  // "surrogate simulate -mcpu=haswell -iterations=100 (llvm-mca 19)".
  const std::string labels = m.contains("labels") && m["labels"].is_string() ? m["labels"].get<std::string>() : "";
  const std::size_t at = labels.find("-mcpu=");
  if (at == std::string::npos) return "";
  return labels.substr(at + 6, labels.find_first_of(" \t", at) - at - 6);
}

int ModelFile::features() const { return std::max(0, frontend_features(frontend)); }

nlohmann::json ModelFile::metadata() const {
  if (header.is_object() && header.contains("metadata")) return header["metadata"];
  return nlohmann::json::object();
}

ModelFile parse_model_file(const std::string& bytes, const std::string& name) {
  const std::size_t size = bytes.size();
  auto truncated = [&](const std::string& part) {
    fail(name, "truncated at byte " + std::to_string(size) + " (" + part + ")");
  };
  if (std::memcmp(bytes.data(), kModelMagic, std::min<std::size_t>(size, 8)) != 0)
    fail(name, "not a surrogate model file (bad magic; expected \"SRGMODEL\")");
  if (size < 8) truncated("magic");
  if (size < 12) truncated("format version");
  std::uint32_t version = load_u32(bytes, 8);
  if (version != kModelFormatVersion)
    fail(name, "unsupported model format version " + std::to_string(version) + " (this build reads version " +
                   std::to_string(kModelFormatVersion) + ")");
  if (size < kPrologue) truncated("header length");
  const std::size_t header_end = kPrologue + load_u32(bytes, 12);
  if (size < header_end) truncated("JSON header of " + std::to_string(header_end - kPrologue) + " bytes");
  const bool checksum_ok = size >= header_end + 4 && crc_of(bytes, size - 4) == load_u32(bytes, size - 4);
  const std::string corrupt = "checksum mismatch (file corrupt)";

  ModelFile m;
  try {
    m.header = nlohmann::json::parse(bytes.begin() + kPrologue, bytes.begin() + header_end);
  } catch (const nlohmann::json::parse_error& e) {
    if (!checksum_ok) fail(name, corrupt);
    fail(name, "bad JSON header at byte " + std::to_string(kPrologue + (e.byte ? e.byte - 1 : 0)) + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range: the file's fault too
    if (!checksum_ok) fail(name, corrupt);
    fail(name, std::string("bad JSON header: ") + e.what());
  }
  std::vector<TensorSpec> layout;
  try {
    layout = header_tensors(m.header, name);
  } catch (const std::runtime_error&) {
    if (!checksum_ok) fail(name, corrupt);
    throw;
  }

  // Sizes: where the data says each tensor lies.
  std::size_t end = header_end;
  std::vector<std::size_t> starts;
  for (const TensorSpec& spec : layout) {
    starts.push_back(end);
    end += 4 * spec.size();
    if (size < end) truncated("tensor " + spec.name);
  }
  if (size < end + 4) truncated("checksum");
  if (size > end + 4)
    fail(name, std::to_string(size - end - 4) + " unexpected bytes after the checksum at byte " + std::to_string(end));
  if (!checksum_ok) fail(name, corrupt);

  // Meaning: the header's fields, then the tensors against what W, D, V imply.
  expect_string(m.header, "format", "surrogate-model", name);
  if (!m.header.contains("version") || m.header["version"] != kModelFormatVersion)
    fail(name, "header: \"version\" must be 1 like the file's format version");
  m.width = static_cast<int>(positive_int(m.header, "width", kMaxWidth, name));
  m.depth = static_cast<int>(positive_int(m.header, "depth", kMaxDepth, name));
  expect_string(m.header, "output", kModelOutput, name);
  // Absent: written before these fields existed, which means these values.
  if (m.header.contains("architecture")) expect_string(m.header, "architecture", kModelArchitecture, name);
  if (auto frontend = m.header.find("frontend"); frontend != m.header.end()) {
    if (!frontend->is_string() || frontend_features(frontend->get<std::string>()) < 0)
      fail(name, "header: \"frontend\" must be " + known_frontends() + " (is " + frontend->dump() + ")");
    m.frontend = frontend->get<std::string>();
  }
  auto vocab = m.header.find("vocabulary");
  if (vocab == m.header.end() || !vocab->is_array()) fail(name, "header: no \"vocabulary\" array");
  std::vector<std::string> tokens;
  for (const nlohmann::json& t : *vocab) {
    if (!t.is_string()) fail(name, "header: vocabulary entry " + t.dump() + " is not a string");
    tokens.push_back(t.get<std::string>());
  }
  try {
    m.vocabulary = block::Vocabulary(std::move(tokens));
  } catch (const std::invalid_argument& e) {
    fail(name, std::string("header: ") + e.what());
  }
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const TensorSpec& spec = layout[i];
    if (m.tensors.count(spec.name)) fail(name, "header: tensor " + spec.name + " listed twice");
    std::vector<float>& data = m.tensors[spec.name];
    data.resize(spec.size());
    if (!data.empty()) std::memcpy(data.data(), bytes.data() + starts[i], 4 * data.size());
    m.shapes[spec.name] = spec.shape;
  }
  validate_tensors(m, name);
  return m;
}

ModelFile read_model_file(const std::string& path) { return parse_model_file(util::read_file(path), path); }

std::string serialize_model_file(const ModelFile& m, const std::string& name) {
  if (m.width < 1 || m.width > kMaxWidth) fail(name, "width " + std::to_string(m.width) + " out of range");
  if (m.depth < 1 || m.depth > kMaxDepth) fail(name, "depth " + std::to_string(m.depth) + " out of range");
  if (frontend_features(m.frontend) < 0) fail(name, "unknown frontend '" + m.frontend + "'");
  validate_tensors(m, name);
  std::vector<TensorSpec> specs = model_tensor_specs(m.width, m.depth, m.vocabulary.size(), m.features());
  nlohmann::json header = m.header.is_object() ? m.header : nlohmann::json::object();
  header["format"] = "surrogate-model";
  header["version"] = kModelFormatVersion;
  header["width"] = m.width;
  header["depth"] = m.depth;
  header["vocabulary"] = m.vocabulary.tokens();
  header["architecture"] = kModelArchitecture;
  header["frontend"] = m.frontend;
  header["output"] = kModelOutput;
  header["tensors"] = nlohmann::json::array();
  for (const TensorSpec& spec : specs) header["tensors"].push_back({{"name", spec.name}, {"shape", spec.shape}});
  if (!header.contains("metadata")) header["metadata"] = nlohmann::json::object();
  std::string text = header.dump();

  std::string bytes(kModelMagic, 8);
  store_u32(bytes, kModelFormatVersion);
  store_u32(bytes, static_cast<std::uint32_t>(text.size()));
  bytes += text;
  for (const TensorSpec& spec : specs) {
    const std::vector<float>& data = m.tensors.at(spec.name);
    bytes.append(reinterpret_cast<const char*>(data.data()), 4 * data.size());
  }
  store_u32(bytes, crc_of(bytes, bytes.size()));
  return bytes;
}

void write_model_file(const std::string& path, const ModelFile& model) {
  util::write_file_atomically(path, serialize_model_file(model, path));
}

ModelFile random_model_file(const block::Vocabulary& vocabulary, int width, int depth, std::uint64_t seed,
                            const std::string& frontend) {
  ModelFile m;
  m.frontend = frontend;
  m.vocabulary = vocabulary;
  m.width = width;
  m.depth = depth;
  m.header = {{"metadata", {{"random", {{"seed", seed}}}}}};
  std::mt19937_64 rng(seed);
  // Uniform in [-a, a), from the generator's bits alone (the same on every library).
  auto uniform = [&](double a) { return static_cast<float>(a * (2.0 * ((rng() >> 11) * 0x1.0p-53) - 1.0)); };
  const double scale = 1.0 / std::sqrt(static_cast<double>(width));
  for (const TensorSpec& spec : model_tensor_specs(width, depth, vocabulary.size(), m.features())) {
    std::vector<float>& data = m.tensors[spec.name];
    data.resize(spec.size());
    for (float& x : data) x = uniform(spec.name == "embedding" ? 1.0 : scale);
    m.shapes[spec.name] = spec.shape;
  }
  m.tensors["head.bias"] = {static_cast<float>(std::log(100.0))};
  return m;
}

}  // namespace surrogate::runtime
