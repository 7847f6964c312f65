#include "runtime/surrogate_runtime.h"

#include <nlohmann/json.hpp>

#include "block/decoder.h"
#include "runtime/instruction_table.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/hex.h"
#include "util/input_error.h"
#include "util/parallel.h"

namespace surrogate::runtime {

struct Surrogate::Impl {
  explicit Impl(const ModelFile& model)
      : header(model.header), predictor(model), table(predictor.network().vocabulary()) {}

  // Appends the table ids of one block's instructions to `ids`.
  void split(std::span<const std::uint8_t> bytes, const char* name) {
    if (table.split(bytes.data(), bytes.size(), &ids, nullptr)) return;
    // Not plain instructions the table knows how to split: decoded as ever
    // (same errors; a trailing branch dropped), then looked up.
    BytePosition where{{name, 0, 0}, 2};
    table.encode(table.decoder().decode_block({bytes.begin(), bytes.end()}, name, where, nullptr), &ids);
  }

  std::vector<double> predict(std::size_t blocks, unsigned jobs,
                              const std::function<void(std::size_t)>& split_block) {
    ids.clear();
    std::vector<std::size_t> starts{0};
    starts.reserve(blocks + 1);
    for (std::size_t b = 0; b < blocks; ++b) {
      split_block(b);
      starts.push_back(ids.size());
    }
    return predictor.predict(table, ids, starts, jobs ? jobs : default_jobs());
  }

  nlohmann::json header;
  Predictor predictor;
  InstructionTable table;  // of the model's vocabulary
  std::vector<std::uint32_t> ids;  // scratch: the blocks' table ids
};

namespace {

std::vector<std::uint8_t> bytes_of_hex(std::string_view hex, const std::string& name) {
  std::size_t offset = 0;
  std::string error;
  std::optional<std::vector<std::uint8_t>> bytes = parse_hex(hex, &offset, &error);
  if (!bytes) throw InputError({name, 0, offset}, error);
  return std::move(*bytes);
}

}  // namespace

Surrogate::Surrogate(const std::string& model_path) : impl_(std::make_unique<Impl>(read_model_file(model_path))) {}
Surrogate::~Surrogate() = default;
Surrogate::Surrogate(Surrogate&&) noexcept = default;
Surrogate& Surrogate::operator=(Surrogate&&) noexcept = default;

double Surrogate::predict_hex(std::string_view hex) { return predict_bytes(bytes_of_hex(hex, "hex")); }

double Surrogate::predict_bytes(std::span<const std::uint8_t> bytes) {
  return impl_->predict(1, 1, [&](std::size_t) { impl_->split(bytes, "block"); })[0];
}

std::vector<double> Surrogate::predict_hex(const std::vector<std::string>& hex_blocks, unsigned jobs) {
  return impl_->predict(hex_blocks.size(), jobs, [&](std::size_t b) {
    const std::string name = "block " + std::to_string(b + 1);
    impl_->split(bytes_of_hex(hex_blocks[b], name), name.c_str());
  });
}

std::vector<double> Surrogate::predict_bytes(const std::vector<std::vector<std::uint8_t>>& blocks, unsigned jobs) {
  return impl_->predict(blocks.size(), jobs, [&](std::size_t b) {
    const std::string name = "block " + std::to_string(b + 1);
    impl_->split(blocks[b], name.c_str());
  });
}

int Surrogate::width() const { return impl_->predictor.network().width(); }
int Surrogate::depth() const { return impl_->predictor.network().depth(); }

std::string Surrogate::metadata_json() const {
  const nlohmann::json& h = impl_->header;
  return (h.is_object() && h.contains("metadata") ? h["metadata"] : nlohmann::json::object()).dump();
}

std::string Surrogate::cpu() const {
  const nlohmann::json& h = impl_->header;
  if (!h.is_object() || !h.contains("metadata") || !h["metadata"].is_object()) return "";
  const nlohmann::json& m = h["metadata"];
  if (m.contains("cpu") && m["cpu"].is_string()) return m["cpu"];
  // Models trained by `surrogate train` name the labels' command instead:
  // "surrogate simulate -mcpu=haswell -iterations=100 (llvm-mca 19)".
  const std::string labels = m.contains("labels") && m["labels"].is_string() ? m["labels"].get<std::string>() : "";
  const std::size_t at = labels.find("-mcpu=");
  if (at == std::string::npos) return "";
  return labels.substr(at + 6, labels.find_first_of(" \t", at) - at - 6);
}

SurrogateStats Surrogate::stats() const {
  CacheStats s = impl_->predictor.stats();
  return {s.blocks, s.instructions, s.misses};
}

}  // namespace surrogate::runtime
