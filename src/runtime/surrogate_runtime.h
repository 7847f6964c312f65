// The public C++ API of a deployed surrogate: include this header, link the
// `surrogate_runtime` library (no LibTorch; installed with `cmake --install`,
// found with `find_package(surrogate)` or `pkg-config surrogate-runtime`).
//
//   surrogate::runtime::Surrogate model("haswell.srg");
//   double t = model.predict_hex("4801d8");   // cycles per 100 iterations
//
// This header includes only the standard library. A Surrogate is used by one
// thread at a time (it owns an instruction table, an LLVM decoder and the
// instruction cache); the batch calls run their own threads. Machine code is
// split into instructions by the table, so a block of instructions seen
// before (by their bytes) is neither decoded nor tokenized again. For threads
// of your own, make one Surrogate each.
//
// Errors: std::runtime_error (a bad model file, named), and for bad blocks
// its subclass surrogate::InputError (bad hex, bytes that are not one x86-64
// basic block), whose what() is one line.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace surrogate::runtime {

// Work of the instruction cache since the Surrogate was made.
struct SurrogateStats {
  std::uint64_t blocks = 0, instructions = 0;
  std::uint64_t embeddings_computed = 0;  // instructions not found in the cache
  // Instructions the table split from machine code: found by their bytes, or
  // new bytes whose tokens it had seen.
  std::uint64_t table_byte_hits = 0, table_token_hits = 0;
  std::string summary;  // one line: blocks, instructions, cache hit rates, embeddings computed
};

struct SurrogateOptions {
  // Matrix kernels: "auto" (the widest this CPU runs), "scalar", "avx2", "avx512".
  std::string kernels = "auto";
};

// Blocks of machine code laid end to end in one buffer: a batch of many
// small blocks without an allocation each.
class BlockBatch {
 public:
  void add(std::span<const std::uint8_t> code);
  void reserve(std::size_t blocks, std::size_t bytes);
  std::size_t size() const { return starts_.size() - 1; }
  std::span<const std::uint8_t> operator[](std::size_t b) const {
    return {code_.data() + starts_[b], starts_[b + 1] - starts_[b]};
  }

 private:
  std::vector<std::uint8_t> code_;
  std::vector<std::size_t> starts_{0};
};

// One block's outcome in a batch.
struct Prediction {
  static constexpr std::size_t kNoOffset = static_cast<std::size_t>(-1);
  double throughput = 0;                 // cycles per 100 iterations; valid when error is empty
  std::string error;                     // why the block has no prediction (one line), else empty
  std::size_t error_offset = kNoOffset;  // byte of the block's machine code the error is at
  bool ok() const { return error.empty(); }
};

class Surrogate {
 public:
  // Loads a .srg model file.
  explicit Surrogate(const std::string& model_path, const SurrogateOptions& options = {});
  ~Surrogate();
  Surrogate(Surrogate&&) noexcept;
  Surrogate& operator=(Surrogate&&) noexcept;

  // Throughput, cycles per 100 iterations, of the block whose machine code is
  // `hex` (BHive's spelling: hex digits, no separators) or `bytes`. A
  // trailing branch is dropped, as BHive's blocks have none.
  double predict_hex(std::string_view hex);
  double predict_bytes(std::span<const std::uint8_t> bytes);
  // Many blocks, in order, with the values of the single calls; the network
  // runs on `jobs` threads (0: every CPU this process may use). If a block is
  // bad, throws for the first bad one (its index in the message).
  std::vector<double> predict_hex(const std::vector<std::string>& hex_blocks, unsigned jobs = 1);
  std::vector<double> predict_bytes(const std::vector<std::vector<std::uint8_t>>& blocks, unsigned jobs = 1);
  // Many blocks, in order; a bad block gets its reason and the others are
  // predicted (what `surrogate predict` runs).
  std::vector<Prediction> predict_each(const BlockBatch& blocks, unsigned jobs = 1);

  int width() const;
  int depth() const;
  std::string kernels() const;  // the matrix kernels in use: "scalar", "avx2" or "avx512"
  // The LLVM CPU the model imitates, e.g. "haswell": its metadata's "cpu", or
  // the -mcpu= of the command that labelled its training data; "" if neither.
  std::string cpu() const;
  // The model file's "metadata" object (CPU, training data, accuracy), as JSON text.
  std::string metadata_json() const;
  SurrogateStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace surrogate::runtime
