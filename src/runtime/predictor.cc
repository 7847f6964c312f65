#include "runtime/predictor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "block/dependencies.h"
#include "block/instruction_encoder.h"
#include "runtime/instruction_bytes.h"
#include "runtime/page_buffer.h"
#include "runtime/token_trie.h"
#include "runtime/x86_token_frontend.h"
#include "util/parallel.h"

namespace surrogate::runtime {

namespace {

// Columns [first, first + cols) of a [rows, width] row-major PyTorch matrix
// transposed into [cols, stride], zero-padded.
FloatBuffer transposed(const std::vector<float>& m, std::size_t rows, std::size_t cols, std::size_t stride,
                       std::size_t width = 0, std::size_t first = 0) {
  if (width == 0) width = cols;
  FloatBuffer t(cols * stride, 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) t[c * stride + r] = m[r * width + first + c];
  return t;
}

FloatBuffer summed(const std::vector<float>& a, const std::vector<float>& b, std::size_t stride) {
  FloatBuffer s(stride, 0.0f);
  for (std::size_t i = 0; i < a.size(); ++i) s[i] = a[i] + b[i];
  return s;
}

}  // namespace

// ---- Network ----

Network::Network(const ModelFile& model, Isa isa)
    : width_(model.width),
      depth_(model.depth),
      isa_(isa),
      kernels_(&kernels_for(isa)),
      features_(static_cast<std::size_t>(model.features())),
      feature_set_(X86TokenFrontend::set_of(model.frontend).value_or(block::DependencyFeatureSet::kNone)),
      vocabulary_(model.vocabulary),
      gate_stride_(padded_outputs(4 * static_cast<std::size_t>(model.width))) {
  const std::size_t w = width_, g = 4 * w, s = gate_stride_, v = vocabulary_.size();
  // Token LSTM: the input side of every token folded into a table.
  FloatBuffer token_ih = transposed(model.tensor("token_lstm.weight_ih"), g, w, s);
  FloatBuffer token_bias = summed(model.tensor("token_lstm.bias_ih"), model.tensor("token_lstm.bias_hh"), s);
  const std::vector<float>& embedding = model.tensor("embedding");
  token_table_.assign(v * s, 0.0f);
  for (std::size_t t = 0; t < v; ++t)
    kernels_->affine(token_ih.data(), w, s, embedding.data() + t * w, token_bias.data(), token_table_.data() + t * s);
  token_hh_ = transposed(model.tensor("token_lstm.weight_hh"), g, w, s);

  // Layer 0 reads [embedding (W) | features (F)]: the embedding's part is
  // cached per instruction, the features' part added per block step.
  const std::vector<float>& layer0_ih = model.tensor("instruction_lstm.weight_ih_l0");
  layer0_ih_ = transposed(layer0_ih, g, w, s, w + features_, 0);
  if (features_ > 0) feature_ih_ = transposed(layer0_ih, g, features_, s, w + features_, w);
  layer0_hh_ = transposed(model.tensor("instruction_lstm.weight_hh_l0"), g, w, s);
  layer0_bias_ = summed(model.tensor("instruction_lstm.bias_ih_l0"), model.tensor("instruction_lstm.bias_hh_l0"), s);
  zero_h_.assign(w, 0.0f);
  for (int k = 1; k < depth_; ++k) {
    std::string l = "_l" + std::to_string(k);
    FloatBuffer ih = transposed(model.tensor("instruction_lstm.weight_ih" + l), g, w, s);
    FloatBuffer hh = transposed(model.tensor("instruction_lstm.weight_hh" + l), g, w, s);
    ih.insert(ih.end(), hh.begin(), hh.end());
    upper_.push_back(std::move(ih));
    upper_bias_.push_back(
        summed(model.tensor("instruction_lstm.bias_ih" + l), model.tensor("instruction_lstm.bias_hh" + l), s));
  }
  const std::vector<float>& head = model.tensor("head.weight");
  head_weight_.assign(head.begin(), head.end());
  head_bias_ = model.tensor("head.bias")[0];
}

void Network::token_step(std::size_t count, const float* const* parent, const std::int32_t* token, float* const* state,
                         float* gates) const {
  const std::size_t w = width_, s = gate_stride_;
  const float* hidden[kMaxBatch];
  const float* input[kMaxBatch];
  float* gate[kMaxBatch];
  std::size_t stepped[kMaxBatch];
  std::size_t n = 0;
  for (std::size_t b = 0; b < count && b < kMaxBatch; ++b) {
    float* h = state[b];
    float* c = state[b] + w;
    const float* in = token_table_.data() + static_cast<std::size_t>(token[b]) * s;
    if (!parent[b]) {
      // h = 0: the gates are the input side alone.
      std::fill(c, c + w, 0.0f);
      kernels_->lstm_cell(in, w, c, h);
    } else {
      std::copy(parent[b] + w, parent[b] + 2 * w, c);
      hidden[n] = parent[b];
      input[n] = in;
      gate[n] = gates + n * s;
      stepped[n++] = b;
    }
  }
  if (!n) return;
  kernels_->affine_batch(token_hh_.data(), w, s, n, hidden, input, gate);
  for (std::size_t i = 0; i < n; ++i) kernels_->lstm_cell(gate[i], w, state[stepped[i]] + w, state[stepped[i]]);
}

void Network::input_preactivation(std::size_t count, const float* const* h, float* const* out) const {
  const float* hidden[kMaxBatch];
  const float* bias[kMaxBatch];
  for (std::size_t b = 0; b < count && b < kMaxBatch; ++b) {
    hidden[b] = h[b] ? h[b] : zero_h_.data();
    bias[b] = layer0_bias_.data();
  }
  if (count) kernels_->affine_batch(layer0_ih_.data(), width_, gate_stride_, count, hidden, bias, out);
}

void Network::add_features(std::size_t count, const float* const* preactivation, const float* const* features,
                           float* const* out) const {
  if (count) kernels_->affine_batch(feature_ih_.data(), features_, gate_stride_, count, features, preactivation, out);
}

void Network::instruction_step(std::size_t count, const float* const* preactivation, bool first, float* const* state,
                               float* const* gates) const {
  const std::size_t w = width_, s = gate_stride_, d = depth_;
  // Block b's h_k is at state[b] + k w, so layer k's input [h_{k-1}; h_k] is contiguous.
  const float* inputs[kMaxBatch] = {};
  const float* biases[kMaxBatch] = {};
  if (first) {
    for (std::size_t b = 0; b < count; ++b) kernels_->lstm_cell(preactivation[b], w, state[b] + d * w, state[b]);
  } else {
    for (std::size_t b = 0; b < count; ++b) inputs[b] = state[b];
    kernels_->affine_batch(layer0_hh_.data(), w, s, count, inputs, preactivation, gates);
    for (std::size_t b = 0; b < count; ++b) kernels_->lstm_cell(gates[b], w, state[b] + d * w, state[b]);
  }
  for (std::size_t k = 1; k < d; ++k) {
    for (std::size_t b = 0; b < count; ++b) {
      inputs[b] = state[b] + (k - 1) * w;
      biases[b] = upper_bias_[k - 1].data();
    }
    kernels_->affine_batch(upper_[k - 1].data(), 2 * w, s, count, inputs, biases, gates);
    for (std::size_t b = 0; b < count; ++b) kernels_->lstm_cell(gates[b], w, state[b] + (d + k) * w, state[b] + k * w);
  }
}

double Network::throughput(const float* state) const {
  const float* top = state + static_cast<std::size_t>(depth_ - 1) * width_;
  double y = head_bias_;
  for (int j = 0; j < width_; ++j) y += head_weight_[j] * static_cast<double>(top[j]);
  return std::exp(y);
}

// ---- CacheStats ----

CacheStats& CacheStats::operator+=(const CacheStats& o) {
  blocks += o.blocks;
  instructions += o.instructions;
  byte_hits += o.byte_hits;
  token_hits += o.token_hits;
  misses += o.misses;
  tokens += o.tokens;
  token_steps += o.token_steps;
  entries += o.entries;
  clears += o.clears;
  return *this;
}

std::string CacheStats::summary() const {
  auto pct = [&](std::uint64_t n) { return instructions ? 100.0 * static_cast<double>(n) / instructions : 0.0; };
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%llu blocks, %llu instructions, cache hits %.1f%% (bytes %.1f%%, tokens %.1f%%), "
                "%llu embeddings computed (%llu of %llu token steps run)",
                static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(instructions),
                pct(byte_hits + token_hits), pct(byte_hits), pct(token_hits), static_cast<unsigned long long>(misses),
                static_cast<unsigned long long>(token_steps), static_cast<unsigned long long>(tokens));
  std::string s = buf;
  if (clears) s += ", cache emptied " + std::to_string(clears) + " times when full";
  return s;
}

// ---- Predictor ----

// Cache entries in a chunk: 2 MiB at W = 32.
constexpr std::size_t kChunkEntries = 4096;

// Blocks a worker takes at once (see predictor.h).
constexpr std::size_t kChunkBlocks = 64;

// One thread's cache and scratch.
struct Predictor::Worker {
  const Network* network;
  std::size_t capacity;
  std::size_t stride;
  // Cached layer-0 input preactivations, stride floats each, kChunkEntries
  // to a chunk (entries never move; chunks are kept when the cache is emptied).
  std::vector<PageBuffer> chunks;
  std::size_t entries = 0;
  absl::flat_hash_map<InstructionBytes, std::uint32_t, InstructionBytesHash> by_bytes;
  absl::flat_hash_map<std::string, std::uint32_t> by_tokens;  // key: the ids' bytes
  std::vector<std::uint32_t> by_frontend_id;                  // Frontend instruction id -> entry, kNoEntry if none
  static constexpr std::uint32_t kNoEntry = UINT32_MAX;
  block::InstructionEncoder encoder;  // of the network's vocabulary
  TokenTrie trie;                     // token-LSTM states of the entries' token prefixes
  FloatBuffer states, gates;          // kMaxBatch blocks' states and gates
  std::vector<std::int32_t> ids;
  std::vector<float*> pending;  // where the preactivations of instructions added, not computed yet, go
  std::vector<std::vector<std::int32_t>> pending_ids;  // their token ids
  std::vector<std::uint32_t> cursor;                   // pending instruction -> its trie node so far
  struct NewNode {
    std::uint32_t node, parent;
    std::int32_t token;
  };
  std::vector<NewNode> fresh;            // trie nodes of a level to compute
  std::vector<std::uint32_t> found;      // entry of each instruction of a chunk's blocks, in run order
  std::vector<std::size_t> found_start;  // where each (ordered) block's entries start in found
  std::vector<float> features;           // F per entry of found: the chunk's dependency features, in run order
  FloatBuffer mixed;                     // kMaxBatch preactivations with their features added
  CacheStats stats;

  Worker(const Network& n, std::size_t cap)
      : network(&n),
        capacity(std::max<std::size_t>(cap, 1)),
        stride(n.gate_stride()),
        encoder(n.vocabulary()),
        trie(n.width()),
        states(kMaxBatch * 2 * static_cast<std::size_t>(n.depth()) * n.width()),
        gates(kMaxBatch * stride),
        mixed(n.features() ? kMaxBatch * stride : 0) {}

  void clear() {
    entries = 0;
    by_bytes.clear();
    by_tokens.clear();
    by_frontend_id.clear();
    trie.clear();
  }

  float* preactivation(std::uint32_t entry) {
    return chunks[entry / kChunkEntries].data() + (entry % kChunkEntries) * stride;
  }
  // Preactivations by entry of this worker's cache.
  auto own_entries() {
    return [this](std::uint32_t entry) -> const float* { return preactivation(entry); };
  }

  // Index of a new entry for token ids `token_ids`, computed later by compute_pending().
  std::uint32_t add_entry(const std::vector<std::int32_t>& token_ids) {
    if (entries / kChunkEntries >= chunks.size()) chunks.emplace_back(kChunkEntries * stride);
    add_pending(token_ids, preactivation(static_cast<std::uint32_t>(entries)));
    return static_cast<std::uint32_t>(entries++);
  }

  // An instruction of token ids `token_ids` whose preactivation compute_pending() writes to `out`.
  void add_pending(const std::vector<std::int32_t>& token_ids, float* out) {
    pending.push_back(out);
    if (pending_ids.size() < pending.size()) pending_ids.resize(pending.size());
    pending_ids[pending.size() - 1].assign(token_ids.begin(), token_ids.end());
    ++stats.misses;
    stats.tokens += token_ids.size();
  }

  std::uint32_t add(std::string token_key) {
    std::uint32_t index = add_entry(ids);
    by_tokens.emplace(std::move(token_key), index);
    return index;
  }

  // The cache entry of the frontend's instruction `id` (computed on a miss).
  std::uint32_t entry(const Frontend& frontend, std::uint32_t id) {
    if (id >= by_frontend_id.size()) by_frontend_id.resize(std::max<std::size_t>(id + 1, frontend.size()), kNoEntry);
    std::uint32_t& index = by_frontend_id[id];
    if (index == kNoEntry) index = add_entry(frontend.tokens(id));
    return index;
  }

  // Runs the token LSTM for the new entries: level by level, every pending
  // instruction with more than t tokens moves to the trie node of its first
  // t + 1 tokens; the nodes new at level t (their parents are from level
  // t - 1 or earlier) are computed kMaxBatch at a time. Then the entries'
  // layer-0 preactivations from their final nodes' h.
  void compute_pending() {
    if (pending.empty()) return;
    cursor.assign(pending.size(), TokenTrie::kRoot);
    std::size_t longest = 0;
    for (std::size_t i = 0; i < pending.size(); ++i) longest = std::max(longest, pending_ids[i].size());
    const float* parent[kMaxBatch];
    std::int32_t token[kMaxBatch];
    float* state[kMaxBatch];
    for (std::size_t t = 0; t < longest; ++t) {
      fresh.clear();
      for (std::size_t i = 0; i < pending.size(); ++i) {
        if (pending_ids[i].size() <= t) continue;
        bool added;
        const std::uint32_t node = trie.child(cursor[i], pending_ids[i][t], &added);
        if (added) fresh.push_back({node, cursor[i], pending_ids[i][t]});
        cursor[i] = node;
      }
      for (std::size_t first = 0; first < fresh.size(); first += kMaxBatch) {
        const std::size_t count = std::min(kMaxBatch, fresh.size() - first);
        for (std::size_t b = 0; b < count; ++b) {
          const NewNode& n = fresh[first + b];
          parent[b] = n.parent == TokenTrie::kRoot ? nullptr : trie.state(n.parent);
          state[b] = trie.state(n.node);
          token[b] = n.token;
        }
        network->token_step(count, parent, token, state, gates.data());
      }
      stats.token_steps += fresh.size();
    }
    const float* h[kMaxBatch];
    float* out[kMaxBatch];
    for (std::size_t first = 0; first < pending.size(); first += kMaxBatch) {
      const std::size_t count = std::min(kMaxBatch, pending.size() - first);
      for (std::size_t b = 0; b < count; ++b) {
        h[b] = cursor[first + b] == TokenTrie::kRoot ? nullptr : trie.state(cursor[first + b]);
        out[b] = pending[first + b];
      }
      network->input_preactivation(count, h, out);
    }
    pending.clear();
  }

  // The cache entry of instruction i of `block` (computed on a miss).
  std::uint32_t entry(const block::BasicBlock& block, std::size_t i) {
    // The instruction's bytes, when the block has consistent offsets.
    InstructionBytes key;
    bool keyed = false;
    if (block.offsets.size() == block.instructions.size()) {
      std::size_t begin = block.offsets[i];
      std::size_t end = i + 1 < block.offsets.size() ? block.offsets[i + 1] : block.bytes.size();
      if (begin < end && end <= block.bytes.size() && end - begin <= 15) {
        key = InstructionBytes::of(block.bytes.data() + begin, end - begin);
        keyed = true;
        auto it = by_bytes.find(key);
        if (it != by_bytes.end()) {
          ++stats.byte_hits;
          return it->second;
        }
      }
    }
    encoder.encode(block.instructions[i], &ids);
    std::string token_key(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(std::int32_t));
    std::uint32_t index;
    auto it = by_tokens.find(token_key);
    if (it != by_tokens.end()) {
      index = it->second;
      ++stats.token_hits;
    } else {
      index = add(std::move(token_key));
    }
    if (keyed) by_bytes.emplace(key, index);
    return index;
  }

  // Throughputs of `count` (1..kChunkBlocks) blocks.
  void predict(const block::BasicBlock* const* blocks, std::size_t count, double* out) {
    std::size_t lengths[kChunkBlocks];
    for (std::size_t b = 0; b < count && b < kChunkBlocks; ++b) lengths[b] = blocks[b]->instructions.size();
    run(
        count, lengths, [&](std::size_t b, std::size_t t) { return entry(*blocks[b], t); }, own_entries(),
        [&](std::size_t b, float* f) { block::dependency_features(*blocks[b], network->feature_set(), f); }, out);
  }

  // The same for blocks given as frontend instruction ids: block b is ids[b][0, lengths[b]).
  void predict(const Frontend& frontend, const std::uint32_t* const* ids, const std::size_t* lengths, std::size_t count,
               double* out) {
    run(
        count, lengths, [&](std::size_t b, std::size_t t) { return entry(frontend, ids[b][t]); }, own_entries(),
        [&](std::size_t b, float* f) { frontend.features(ids[b], lengths[b], f); }, out);
  }

  // The same with every frontend instruction's preactivation in `shared`
  // (stride floats each, by id): the instruction LSTM alone.
  void predict_shared(const Frontend& frontend, const float* shared, const std::uint32_t* const* ids,
                      const std::size_t* lengths, std::size_t count, double* out) {
    run(
        count, lengths, [&](std::size_t b, std::size_t t) { return ids[b][t]; },
        [&](std::uint32_t id) { return shared + static_cast<std::size_t>(id) * stride; },
        [&](std::size_t b, float* f) { frontend.features(ids[b], lengths[b], f); }, out);
  }

  // Frontend instructions [first, first + count) embedded into shared (by id).
  void embed(const Frontend& frontend, std::uint32_t first, std::uint32_t count, float* shared) {
    if (trie.size() > 4 * capacity) trie.clear();  // the bound the entries' clearing gives the other path
    for (std::uint32_t id = first; id < first + count; ++id)
      add_pending(frontend.tokens(id), shared + static_cast<std::size_t>(id) * stride);
    compute_pending();
  }

  // Blocks of lengths[b] instructions, instruction t of block b's entry
  // given by entry_of(b, t) (called once each, before any is computed), its
  // preactivation by at(entry).
  template <typename EntryOf, typename At, typename FeaturesOf>
  void run(std::size_t count, const std::size_t* lengths, EntryOf entry_of, At at, FeaturesOf features_of,
           double* out) {
    if (count > kChunkBlocks) throw std::logic_error("Predictor: chunk larger than kChunkBlocks");
    // Longest first: lockstep groups of similar lengths, and the blocks still
    // running at step t of a group are a prefix of it.
    std::size_t order[kChunkBlocks];
    std::size_t instructions = 0;
    for (std::size_t b = 0; b < count; ++b) {
      order[b] = b;
      instructions += lengths[b];
    }
    std::stable_sort(order, order + count, [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
    // Entries are only dropped here, never while a chunk holds their indices.
    if (entries > 0 && entries + instructions > capacity) {
      clear();
      ++stats.clears;
    }
    // Every instruction's entry first, so that the chunk's new instructions
    // go through the token LSTM together.
    found.clear();
    found_start.assign(1, 0);
    for (std::size_t b = 0; b < count; ++b) {
      for (std::size_t t = 0; t < lengths[order[b]]; ++t) found.push_back(entry_of(order[b], t));
      found_start.push_back(found.size());
    }
    compute_pending();
    // The blocks' features (features_of(b, out): lengths[b] * F floats), in
    // run order like `found`.
    const std::size_t f = network->features();
    if (f) {
      features.resize(found.size() * f);
      for (std::size_t b = 0; b < count; ++b) features_of(order[b], features.data() + found_start[b] * f);
    }
    const std::size_t state_size = 2 * static_cast<std::size_t>(network->depth()) * network->width();
    for (std::size_t first = 0; first < count; first += kMaxBatch) {
      const std::size_t group = std::min(kMaxBatch, count - first);
      std::fill(states.begin(), states.begin() + group * state_size, 0.0f);
      float* state[kMaxBatch];
      float* gate[kMaxBatch];
      for (std::size_t b = 0; b < group; ++b) {
        state[b] = states.data() + b * state_size;
        gate[b] = gates.data() + b * stride;
      }
      const float* preactivation[kMaxBatch];
      const std::size_t steps = lengths[order[first]];
      for (std::size_t t = 0; t < steps; ++t) {
        std::size_t active = 0;
        while (active < group && lengths[order[first + active]] > t) ++active;
        for (std::size_t b = 0; b < active; ++b) preactivation[b] = at(found[found_start[first + b] + t]);
        if (f) {
          const float* feature[kMaxBatch];
          float* with_features[kMaxBatch];
          for (std::size_t b = 0; b < active; ++b) {
            feature[b] = features.data() + (found_start[first + b] + t) * f;
            with_features[b] = mixed.data() + b * stride;
          }
          network->add_features(active, preactivation, feature, with_features);
          for (std::size_t b = 0; b < active; ++b) preactivation[b] = with_features[b];
        }
        network->instruction_step(active, preactivation, t == 0, state, gate);
      }
      for (std::size_t b = 0; b < group; ++b) out[order[first + b]] = network->throughput(state[b]);
    }
    stats.blocks += count;
    stats.instructions += instructions;
  }
};

Predictor::Predictor(const ModelFile& model, Isa isa) : Predictor(std::make_shared<const Network>(model, isa)) {}

Predictor::Predictor(std::shared_ptr<const Network> network, std::size_t cache_capacity)
    : network_(std::move(network)), cache_capacity_(cache_capacity) {
  if (!network_) throw std::invalid_argument("Predictor: no network");
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

Predictor::Worker& Predictor::worker(unsigned index) {
  while (workers_.size() <= index) workers_.push_back(std::make_unique<Worker>(*network_, cache_capacity_));
  return *workers_[index];
}

double Predictor::predict(const block::BasicBlock& block) {
  const block::BasicBlock* one = &block;
  double out;
  worker(0).predict(&one, 1, &out);
  return out;
}

std::vector<double> Predictor::predict(const std::vector<block::BasicBlock>& blocks, unsigned jobs) {
  const std::size_t chunks = (blocks.size() + kChunkBlocks - 1) / kChunkBlocks;
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(chunks, 1))));
  worker(jobs - 1);  // every worker exists before the threads start
  std::vector<double> out(blocks.size());
  util::parallel_for(chunks, jobs, [&](std::size_t g, unsigned w) {
    const std::size_t first = g * kChunkBlocks, count = std::min(kChunkBlocks, blocks.size() - first);
    const block::BasicBlock* group[kChunkBlocks];
    for (std::size_t b = 0; b < count; ++b) group[b] = &blocks[first + b];
    workers_[w]->predict(group, count, out.data() + first);
  });
  return out;
}

std::vector<double> Predictor::predict(const Frontend& frontend, const std::vector<std::uint32_t>& ids,
                                       const std::vector<std::size_t>& starts, unsigned jobs) {
  if (starts.empty() || starts.back() > ids.size()) throw std::invalid_argument("Predictor: bad block starts");
  if (frontend.feature_count() != network_->features())
    throw std::invalid_argument("Predictor: the frontend's features are not the network's");
  const std::size_t blocks = starts.size() - 1;
  const std::size_t chunks = (blocks + kChunkBlocks - 1) / kChunkBlocks;
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(chunks, 1))));
  worker(jobs - 1);  // every worker exists before the threads start
  std::vector<double> out(blocks);
  // On several threads every frontend instruction is embedded once, the
  // workers taking ranges of ids, into one buffer they then share: with a
  // cache each they would embed the instructions their blocks share again.
  std::optional<PageBuffer> shared;
  if (jobs > 1) {
    constexpr std::uint32_t kIds = 256;
    const std::size_t n = frontend.size(), stride = network_->gate_stride();
    shared.emplace(std::max<std::size_t>(n, 1) * stride);
    util::parallel_for((n + kIds - 1) / kIds, jobs, [&](std::size_t g, unsigned w) {
      const std::uint32_t first = static_cast<std::uint32_t>(g * kIds);
      workers_[w]->embed(frontend, first, static_cast<std::uint32_t>(std::min<std::size_t>(kIds, n - first)),
                         shared->data());
    });
  }
  util::parallel_for(chunks, jobs, [&](std::size_t g, unsigned w) {
    const std::size_t first = g * kChunkBlocks, count = std::min(kChunkBlocks, blocks - first);
    const std::uint32_t* group[kChunkBlocks];
    std::size_t lengths[kChunkBlocks];
    for (std::size_t b = 0; b < count; ++b) {
      group[b] = ids.data() + starts[first + b];
      lengths[b] = starts[first + b + 1] - starts[first + b];
    }
    if (shared)
      workers_[w]->predict_shared(frontend, shared->data(), group, lengths, count, out.data() + first);
    else
      workers_[w]->predict(frontend, group, lengths, count, out.data() + first);
  });
  return out;
}

CacheStats Predictor::stats() const {
  CacheStats total;
  for (const auto& w : workers_) {
    CacheStats s = w->stats;
    s.entries = w->entries;
    total += s;
  }
  return total;
}

void Predictor::clear_cache() {
  for (auto& w : workers_) w->clear();
}

}  // namespace surrogate::runtime
