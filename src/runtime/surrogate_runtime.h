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
};

class Surrogate {
 public:
  // Loads a .srg model file.
  explicit Surrogate(const std::string& model_path);
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

  int width() const;
  int depth() const;
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
