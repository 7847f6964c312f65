#include "runtime/surrogate_runtime.h"

#include <nlohmann/json.hpp>

#include "runtime/frontend.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/hex.h"
#include "util/input_error.h"
#include "util/parallel.h"

namespace surrogate::runtime {

namespace {

Isa isa_named(const std::string& kernels) {
  if (kernels == "auto") return best_isa();
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (kernels == isa_name(i)) return i;
  throw std::runtime_error("unknown matrix kernels '" + kernels + "' (auto, scalar, avx2, avx512)");
}

}  // namespace

struct Surrogate::Impl {
  Impl(const ModelFile& model, const SurrogateOptions& options)
      : header(model.header),
        predictor(model, isa_named(options.kernels)),
        frontend(make_frontend(header.value("frontend", kModelFrontend), predictor.network().vocabulary())) {}

  // Appends the frontend's ids of one block's instructions to `ids`; throws
  // InputError (the position's byte is the block offset) for a bad block,
  // leaving `ids` as it was.
  void split(std::span<const std::uint8_t> bytes) { frontend->split(bytes, &ids); }

  // Predicts blocks 0..blocks-1, whose machine code split_block(b) appends
  // with split(); a block that throws gets its error and no prediction.
  std::vector<Prediction> predict(std::size_t blocks, unsigned jobs,
                                  const std::function<void(std::size_t)>& split_block) {
    std::vector<Prediction> out(blocks);
    ids.clear();
    std::vector<std::size_t> starts{0}, good;
    starts.reserve(blocks + 1);
    good.reserve(blocks);
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t before = ids.size();
      try {
        split_block(b);
      } catch (const util::InputError& e) {
        ids.resize(before);
        out[b].error = e.reason();
        out[b].error_offset = e.where().byte;
        continue;
      }
      starts.push_back(ids.size());
      good.push_back(b);
    }
    std::vector<double> values = predictor.predict(*frontend, ids, starts, jobs ? jobs : util::default_jobs());
    for (std::size_t i = 0; i < good.size(); ++i) out[good[i]].throughput = values[i];
    return out;
  }

  // predict() for the calls that throw on the first bad block.
  std::vector<double> predict_or_throw(std::size_t blocks, unsigned jobs,
                                       const std::function<void(std::size_t)>& split_block) {
    std::vector<Prediction> each = predict(blocks, jobs, split_block);
    std::vector<double> values(blocks);
    for (std::size_t b = 0; b < blocks; ++b) {
      if (!each[b].ok())
        throw util::InputError({blocks == 1 ? "block" : "block " + std::to_string(b + 1), 0, each[b].error_offset},
                               each[b].error);
      values[b] = each[b].throughput;
    }
    return values;
  }

  nlohmann::json header;
  Predictor predictor;
  std::unique_ptr<Frontend> frontend;  // the model's, over its vocabulary
  std::vector<std::uint32_t> ids;      // scratch: the blocks' instruction ids
};

namespace {

std::vector<std::uint8_t> bytes_of_hex(std::string_view hex, const std::string& name) {
  std::size_t offset = 0;
  std::string error;
  std::optional<std::vector<std::uint8_t>> bytes = util::parse_hex(hex, &offset, &error);
  if (!bytes) throw util::InputError({name, 0, offset}, error);
  return std::move(*bytes);
}

}  // namespace

void BlockBatch::add(std::span<const std::uint8_t> code) {
  code_.insert(code_.end(), code.begin(), code.end());
  starts_.push_back(code_.size());
}

void BlockBatch::reserve(std::size_t blocks, std::size_t bytes) {
  starts_.reserve(blocks + 1);
  code_.reserve(bytes);
}

Surrogate::Surrogate(const std::string& model_path, const SurrogateOptions& options)
    : impl_(std::make_unique<Impl>(read_model_file(model_path), options)) {}
Surrogate::~Surrogate() = default;
Surrogate::Surrogate(Surrogate&&) noexcept = default;
Surrogate& Surrogate::operator=(Surrogate&&) noexcept = default;

double Surrogate::predict_hex(std::string_view hex) { return predict_bytes(bytes_of_hex(hex, "hex")); }

double Surrogate::predict_bytes(std::span<const std::uint8_t> bytes) {
  return impl_->predict_or_throw(1, 1, [&](std::size_t) { impl_->split(bytes); })[0];
}

std::vector<double> Surrogate::predict_hex(const std::vector<std::string>& hex_blocks, unsigned jobs) {
  return impl_->predict_or_throw(hex_blocks.size(), jobs, [&](std::size_t b) {
    const std::string name = "block " + std::to_string(b + 1);
    impl_->split(bytes_of_hex(hex_blocks[b], name));
  });
}

std::vector<double> Surrogate::predict_bytes(const std::vector<std::vector<std::uint8_t>>& blocks, unsigned jobs) {
  return impl_->predict_or_throw(blocks.size(), jobs, [&](std::size_t b) { impl_->split(blocks[b]); });
}

std::vector<Prediction> Surrogate::predict_each(const BlockBatch& blocks, unsigned jobs) {
  return impl_->predict(blocks.size(), jobs, [&](std::size_t b) { impl_->split(blocks[b]); });
}

std::string Surrogate::kernels() const { return isa_name(impl_->predictor.network().isa()); }

int Surrogate::width() const { return impl_->predictor.network().width(); }
int Surrogate::depth() const { return impl_->predictor.network().depth(); }

std::string Surrogate::metadata_json() const {
  const nlohmann::json& h = impl_->header;
  return (h.is_object() && h.contains("metadata") ? h["metadata"] : nlohmann::json::object()).dump();
}

std::string Surrogate::cpu() const { return model_cpu(impl_->header); }

SurrogateStats Surrogate::stats() const {
  CacheStats s = impl_->predictor.stats();
  const Frontend::Counts found = impl_->frontend->counts();
  s.byte_hits = found.byte_hits;
  s.token_hits = found.token_hits;
  return {s.blocks, s.instructions, s.misses, s.byte_hits, s.token_hits, s.summary()};
}

}  // namespace surrogate::runtime
