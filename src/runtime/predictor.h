// Predictor: LibTorch-free inference of the hierarchical-LSTM surrogate.
//
//   block -> instructions -> tokens (tokenize_instruction) -> ids (vocabulary)
//   token LSTM over an instruction's ids -> final h = instruction embedding
//   instruction LSTM (depth layers) over the embeddings -> final top h
//   throughput = exp(head . h + bias), cycles per 100 iterations
//
// Where the speed comes from (DESIGN.md): the token LSTM's input side is a
// lookup table ([V, 4W] = embedding x W_ih^T + both biases), and an
// instruction's embedding depends only on its tokens, so it is computed once
// and cached, together with the first instruction-LSTM layer's input
// preactivation (W_ih_l0 h + both biases). A cached instruction costs only
// its instruction-LSTM steps (W_hh_l0 h, then one fused [W_ih; W_hh] map per
// further layer).
//
// Blocks are taken in chunks of kChunkBlocks: the new instructions of a chunk
// go through the token LSTM together, prefix by prefix (TokenTrie: a token
// prefix seen before is not run again), and then the chunk's blocks, longest
// first, through the instruction LSTM in lockstep groups of up to kMaxBatch
// (kernels.h) of similar length, so each pass over the weights serves
// several blocks. Every block's value is bit-identical to predicting it
// alone.
//
// Decoded blocks: the cache is keyed by the instruction's machine-code bytes
// (tokens are a function of the bytes, so a hit skips tokenizing, encoding
// and the token LSTM), and, on a bytes miss, by its token ids (different
// bytes, same canonical tokens: e.g. immediates in one bucket). Blocks given
// as a Frontend's instruction ids (frontend.h: machine code split without
// decoding what was seen before, the fast path of `surrogate predict` and of
// the C++ API) are cached by instruction id.
//
// Threads: a Predictor is used by one thread at a time, like Decoder. The
// batch predict() runs its own `jobs` workers over the shared read-only
// weights (Network), each with its own cache and scratch, kept between calls;
// for frontend ids on several threads, each instruction is embedded once into a
// buffer all workers read.
// To predict from threads of your own, give each its own Predictor built
// from one shared Network (the weights are not copied).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "block/dependencies.h"
#include "block/vocabulary.h"
#include "runtime/frontend.h"
#include "runtime/kernels.h"
#include "runtime/model_file.h"

namespace surrogate::runtime {

// The model's weights laid out for inference (transposed, padded, fused).
// Immutable once built; share it between Predictors.
class Network {
 public:
  explicit Network(const ModelFile& model, Isa isa = best_isa());

  int width() const { return width_; }
  int depth() const { return depth_; }
  Isa isa() const { return isa_; }
  // F: features per instruction beside its embedding (the frontend's; 0: none).
  std::size_t features() const { return features_; }
  // The dependency features of decoded blocks (block/dependencies.h), as the model's frontend names them.
  block::DependencyFeatureSet feature_set() const { return feature_set_; }
  const Kernels& kernels() const { return *kernels_; }
  const block::Vocabulary& vocabulary() const { return vocabulary_; }
  // Gate preactivations are padded_outputs(4W) floats.
  std::size_t gate_stride() const { return gate_stride_; }

  // One token-LSTM step for `count` (1..kMaxBatch) token prefixes: state[b]
  // = [h | c] (2W floats) after token[b] following the prefix whose state is
  // parent[b] (nullptr: the empty prefix, zero state). `gates` is scratch of
  // kMaxBatch * gate_stride() floats. Each result is bit-identical to
  // stepping it alone.
  void token_step(std::size_t count, const float* const* parent, const std::int32_t* token, float* const* state,
                  float* gates) const;
  // The first instruction-LSTM layer's input preactivation (W_ih_l0 h + both
  // biases) of `count` (1..kMaxBatch) instructions from the token LSTM's
  // final h[b] (nullptr: an instruction without tokens, h = 0):
  // gate_stride() floats into out[b].
  void input_preactivation(std::size_t count, const float* const* h, float* const* out) const;
  // out[b] = preactivation[b] + the feature part of W_ih_l0 applied to the
  // F floats at features[b]: an instruction's preactivation in its block,
  // for `count` (1..kMaxBatch) instructions.
  void add_features(std::size_t count, const float* const* preactivation, const float* const* features,
                    float* const* out) const;
  // One instruction step through every layer for `count` (1..kMaxBatch)
  // blocks at once, block b's instruction given by its preactivation[b].
  // state[b] is block b's [h_0 .. h_{D-1} | c_0 .. c_{D-1}] (2 D W floats,
  // zero at the block's start), updated in place; gates[b] is scratch of
  // gate_stride() floats. `first`: the blocks' first instruction. Each
  // block's result is bit-identical to stepping it alone.
  void instruction_step(std::size_t count, const float* const* preactivation, bool first, float* const* state,
                        float* const* gates) const;
  // exp(head . h_top + bias), cycles per 100 iterations.
  double throughput(const float* state) const;

 private:
  int width_, depth_;
  Isa isa_;
  const Kernels* kernels_;
  std::size_t features_;
  block::DependencyFeatureSet feature_set_;
  block::Vocabulary vocabulary_;
  std::size_t gate_stride_;
  FloatBuffer token_table_;              // [V, gate_stride]: embedding x W_ih^T + b_ih + b_hh
  FloatBuffer token_hh_;                 // [W, gate_stride]: W_hh^T
  FloatBuffer layer0_ih_;                // [W, gate_stride]: W_ih_l0^T, the embedding's columns
  FloatBuffer feature_ih_;               // [F, gate_stride]: W_ih_l0^T, the features' columns
  FloatBuffer layer0_bias_;              // [gate_stride]: b_ih_l0 + b_hh_l0
  FloatBuffer layer0_hh_;                // [W, gate_stride]: W_hh_l0^T
  FloatBuffer zero_h_;                   // [W]: the final h of an instruction without tokens
  std::vector<FloatBuffer> upper_;       // layer k >= 1: [2W, gate_stride] = [W_ih_lk^T; W_hh_lk^T]
  std::vector<FloatBuffer> upper_bias_;  // layer k >= 1: b_ih_lk + b_hh_lk
  std::vector<double> head_weight_;
  double head_bias_;
};

struct CacheStats {
  std::uint64_t blocks = 0;
  std::uint64_t instructions = 0;
  std::uint64_t byte_hits = 0;    // found by the instruction's bytes
  std::uint64_t token_hits = 0;   // bytes new, token ids seen before
  std::uint64_t misses = 0;       // token LSTM run
  std::uint64_t tokens = 0;       // tokens of the misses
  std::uint64_t token_steps = 0;  // token-LSTM steps run for them (prefixes seen before are not run again)
  std::uint64_t entries = 0;      // distinct embeddings held now
  std::uint64_t clears = 0;       // times the cache was full and emptied

  double hit_rate() const {
    return instructions ? static_cast<double>(byte_hits + token_hits) / static_cast<double>(instructions) : 0.0;
  }
  CacheStats& operator+=(const CacheStats& other);
  // "N blocks, N instructions, cache hits P% (bytes P%, tokens P%), N embeddings computed (N of N token steps run)"
  std::string summary() const;
};

class Predictor {
 public:
  // Distinct instructions a worker's cache holds before it is emptied
  // (checked between groups of blocks; 4W floats each: 64 MiB per worker
  // at W = 64).
  static constexpr std::size_t kDefaultCacheCapacity = 1 << 16;

  explicit Predictor(const ModelFile& model, Isa isa = best_isa());
  explicit Predictor(std::shared_ptr<const Network> network, std::size_t cache_capacity = kDefaultCacheCapacity);
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  // Throughput of one block, cycles per 100 iterations.
  double predict(const block::BasicBlock& block);
  // Every block's throughput, in order, on `jobs` threads; the same values
  // as predict() one by one.
  std::vector<double> predict(const std::vector<block::BasicBlock>& blocks, unsigned jobs);
  // The same for blocks given as the frontend's instruction ids (no
  // decoding, no tokenizing here): block b is ids[starts[b], starts[b + 1]).
  // The frontend must be over the network's vocabulary and is only read. The
  // same values as predict() on the decoded blocks. In stats(), the hits of
  // these blocks' instructions are the frontend's counts() (they count here
  // as neither byte nor token hits; misses are the embeddings computed).
  std::vector<double> predict(const Frontend& frontend, const std::vector<std::uint32_t>& ids,
                              const std::vector<std::size_t>& starts, unsigned jobs);

  // Summed over the workers since construction (entries: held now).
  CacheStats stats() const;
  void clear_cache();

  const Network& network() const { return *network_; }
  std::shared_ptr<const Network> shared_network() const { return network_; }

 private:
  struct Worker;
  Worker& worker(unsigned index);

  std::shared_ptr<const Network> network_;
  std::size_t cache_capacity_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace surrogate::runtime
