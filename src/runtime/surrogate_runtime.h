// The public C++ API of a deployed surrogate: include this header, link the
// `surrogate_runtime` library (no LibTorch).
//
//   surrogate::runtime::Surrogate model("haswell.srg");
//   double t = model.predict_hex("4801d8");   // cycles per 100 iterations
//
// A Surrogate is used by one thread at a time (it owns an instruction table,
// an LLVM decoder and the instruction cache); the batch predict() runs its own
// threads. Machine code is split into instructions by the table, so a block
// of instructions seen before (by their bytes) is neither decoded nor
// tokenized again. For
// threads of your own, make one Surrogate each (or share a Network between
// Predictors, see runtime/predictor.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "block/basic_block.h"
#include "runtime/instruction_table.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/parallel.h"

namespace surrogate::runtime {

class Surrogate {
 public:
  // Loads a .srg model file; throws std::runtime_error naming the file on any fault.
  explicit Surrogate(const std::string& model_path);
  explicit Surrogate(const ModelFile& model);
  ~Surrogate();
  Surrogate(Surrogate&&) noexcept;
  Surrogate& operator=(Surrogate&&) noexcept;

  // Throughput, cycles per 100 iterations, of the block whose machine code is
  // `hex` (BHive's spelling: hex digits, no separators) or `bytes`. Throws
  // InputError on bad hex or code that is not one x86-64 basic block.
  double predict_hex(std::string_view hex);
  double predict_bytes(std::vector<std::uint8_t> bytes);
  // Blocks already decoded (block/block_reader.h reads files of them).
  double predict(const BasicBlock& block);
  std::vector<double> predict(const std::vector<BasicBlock>& blocks, unsigned jobs = default_jobs());

  int width() const;
  int depth() const;
  // The model file's header and its "metadata" object (CPU, training info).
  const nlohmann::json& header() const { return header_; }
  nlohmann::json metadata() const;
  CacheStats cache_stats() const { return predictor_.stats(); }

 private:
  nlohmann::json header_;
  Predictor predictor_;
  std::unique_ptr<InstructionTable> table_;  // of the model's vocabulary
  std::vector<std::uint32_t> ids_;            // scratch: a block's table ids
};

}  // namespace surrogate::runtime
