#include "runtime/surrogate_runtime.h"

#include "block/decoder.h"
#include "util/hex.h"
#include "util/input_error.h"

namespace surrogate::runtime {

Surrogate::Surrogate(const std::string& model_path) : Surrogate(read_model_file(model_path)) {}

Surrogate::Surrogate(const ModelFile& model)
    : header_(model.header),
      predictor_(model),
      table_(std::make_unique<InstructionTable>(predictor_.network().vocabulary())) {}

Surrogate::~Surrogate() = default;
Surrogate::Surrogate(Surrogate&&) noexcept = default;
Surrogate& Surrogate::operator=(Surrogate&&) noexcept = default;

double Surrogate::predict_hex(std::string_view hex) {
  std::size_t offset = 0;
  std::string error;
  std::optional<std::vector<std::uint8_t>> bytes = parse_hex(hex, &offset, &error);
  if (!bytes) throw InputError({"hex", 0, offset}, error);
  return predict_bytes(std::move(*bytes));
}

double Surrogate::predict_bytes(std::vector<std::uint8_t> bytes) {
  ids_.clear();
  if (!table_->split(bytes.data(), bytes.size(), &ids_, nullptr)) {
    // Not plain instructions the table knows how to split: decoded as ever
    // (same errors; a trailing branch dropped), then looked up.
    BytePosition where{{"block", 0, 0}, 2};
    table_->encode(table_->decoder().decode_block(std::move(bytes), "block", where, nullptr), &ids_);
  }
  const std::vector<std::size_t> starts{0, ids_.size()};
  return predictor_.predict(*table_, ids_, starts, 1)[0];
}

double Surrogate::predict(const BasicBlock& block) { return predictor_.predict(block); }

std::vector<double> Surrogate::predict(const std::vector<BasicBlock>& blocks, unsigned jobs) {
  return predictor_.predict(blocks, jobs);
}

int Surrogate::width() const { return predictor_.network().width(); }
int Surrogate::depth() const { return predictor_.network().depth(); }

nlohmann::json Surrogate::metadata() const {
  if (header_.is_object() && header_.contains("metadata")) return header_["metadata"];
  return nlohmann::json::object();
}

}  // namespace surrogate::runtime
