#include "runtime/predictor.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "block/tokenizer.h"
#include "util/parallel.h"

namespace surrogate::runtime {

namespace {

// A [rows, cols] row-major PyTorch matrix transposed into [cols, stride], zero-padded.
FloatBuffer transposed(const std::vector<float>& m, std::size_t rows, std::size_t cols, std::size_t stride) {
  FloatBuffer t(cols * stride, 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) t[c * stride + r] = m[r * cols + c];
  return t;
}

FloatBuffer summed(const std::vector<float>& a, const std::vector<float>& b, std::size_t stride) {
  FloatBuffer s(stride, 0.0f);
  for (std::size_t i = 0; i < a.size(); ++i) s[i] = a[i] + b[i];
  return s;
}

// An instruction's machine code, up to 15 bytes (x86's limit), as a hash key.
struct InstructionBytes {
  std::uint64_t lo = 0, hi = 0;  // bytes in order; hi's top byte is the length
  bool operator==(const InstructionBytes&) const = default;
};

struct InstructionBytesHash {
  std::size_t operator()(const InstructionBytes& k) const {
    std::uint64_t h = k.lo * 0x9E3779B97F4A7C15ull ^ (k.hi + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

}  // namespace

// ---- Network ----

Network::Network(const ModelFile& model, Isa isa)
    : width_(model.width),
      depth_(model.depth),
      isa_(isa),
      kernels_(&kernels_for(isa)),
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

  layer0_ih_ = transposed(model.tensor("instruction_lstm.weight_ih_l0"), g, w, s);
  layer0_hh_ = transposed(model.tensor("instruction_lstm.weight_hh_l0"), g, w, s);
  layer0_bias_ = summed(model.tensor("instruction_lstm.bias_ih_l0"), model.tensor("instruction_lstm.bias_hh_l0"), s);
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

void Network::instruction_preactivation(std::size_t count, const std::int32_t* const* ids,
                                        const std::size_t* lengths, float* const* out, float* scratch) const {
  const std::size_t w = width_, s = gate_stride_;
  // Longest first, so the instructions still running at token t are a prefix.
  std::size_t order[kMaxBatch];
  for (std::size_t b = 0; b < count && b < kMaxBatch; ++b) order[b] = b;
  for (std::size_t b = 1; b < count && b < kMaxBatch; ++b)  // insertion sort, stable
    for (std::size_t a = b; a > 0 && lengths[order[a]] > lengths[order[a - 1]]; --a) std::swap(order[a], order[a - 1]);
  float* gates[kMaxBatch];
  float* h[kMaxBatch];
  float* c[kMaxBatch];
  const float* input[kMaxBatch] = {};
  const float* hidden[kMaxBatch] = {};
  for (std::size_t b = 0; b < count && b < kMaxBatch; ++b) {
    gates[b] = scratch + 3 * b * s;
    h[b] = gates[b] + s;
    c[b] = gates[b] + 2 * s;
    hidden[b] = h[b];
    std::fill(h[b], h[b] + w, 0.0f);
    std::fill(c[b], c[b] + w, 0.0f);
  }
  const std::size_t tokens = count ? lengths[order[0]] : 0;
  for (std::size_t t = 0; t < tokens; ++t) {
    std::size_t active = 0;
    while (active < count && lengths[order[active]] > t) ++active;
    for (std::size_t b = 0; b < active; ++b)
      input[b] = token_table_.data() + static_cast<std::size_t>(ids[order[b]][t]) * s;
    if (t == 0) {
      // h = 0: the gates are the input side alone.
      for (std::size_t b = 0; b < active; ++b) kernels_->lstm_cell(input[b], w, c[b], h[b]);
    } else {
      kernels_->affine_batch(token_hh_.data(), w, s, active, hidden, input, gates);
      for (std::size_t b = 0; b < active; ++b) kernels_->lstm_cell(gates[b], w, c[b], h[b]);
    }
  }
  float* result[kMaxBatch];
  const float* bias[kMaxBatch];
  for (std::size_t b = 0; b < count && b < kMaxBatch; ++b) {
    result[b] = out[order[b]];
    bias[b] = layer0_bias_.data();
  }
  if (count) kernels_->affine_batch(layer0_ih_.data(), w, s, count, hidden, bias, result);
}

void Network::instruction_step(std::size_t count, const float* const* preactivation, bool first,
                               float* const* state, float* const* gates) const {
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
    for (std::size_t b = 0; b < count; ++b)
      kernels_->lstm_cell(gates[b], w, state[b] + (d + k) * w, state[b] + k * w);
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
  entries += o.entries;
  clears += o.clears;
  return *this;
}

std::string CacheStats::summary() const {
  auto pct = [&](std::uint64_t n) { return instructions ? 100.0 * static_cast<double>(n) / instructions : 0.0; };
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%llu blocks, %llu instructions, cache hits %.1f%% (bytes %.1f%%, tokens %.1f%%), "
                "%llu embeddings computed",
                static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(instructions),
                pct(byte_hits + token_hits), pct(byte_hits), pct(token_hits),
                static_cast<unsigned long long>(misses));
  std::string s = buf;
  if (clears) s += ", cache emptied " + std::to_string(clears) + " times when full";
  return s;
}

// ---- Predictor ----

// Cache entries in a chunk: 2 MiB at W = 32.
constexpr std::size_t kChunkEntries = 4096;

// Uninitialised floats in whole 2 MiB pages, which the kernel may back with huge
// pages (a few page faults instead of one per 4 KiB; the cache is filled
// once per run, so its faults were a good part of a short run's time).
class PageBuffer {
 public:
  static constexpr std::size_t kPage = std::size_t{1} << 21;
  explicit PageBuffer(std::size_t floats) {
    bytes_ = (floats * sizeof(float) + kPage - 1) / kPage * kPage;
    data_ = static_cast<float*>(std::aligned_alloc(kPage, bytes_));
    if (!data_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(data_, bytes_, MADV_HUGEPAGE);
#endif
  }
  PageBuffer(PageBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), bytes_(o.bytes_) {}
  PageBuffer& operator=(PageBuffer&&) = delete;
  ~PageBuffer() { std::free(data_); }
  float* data() const { return data_; }

 private:
  float* data_;
  std::size_t bytes_;
};

// One thread's cache and scratch.
struct Predictor::Worker {
  const Network* network;
  std::size_t capacity;
  std::size_t stride;
  // Cached layer-0 input preactivations, stride floats each, kChunkEntries
  // to a chunk (entries never move; chunks are kept when the cache is emptied).
  std::vector<PageBuffer> chunks;
  std::size_t entries = 0;
  std::unordered_map<InstructionBytes, std::uint32_t, InstructionBytesHash> by_bytes;
  std::unordered_map<std::string, std::uint32_t> by_tokens;  // key: the ids' bytes
  std::vector<std::uint32_t> by_table_id;                    // InstructionTable id -> entry, kNoEntry if none
  static constexpr std::uint32_t kNoEntry = UINT32_MAX;
  FloatBuffer states, gates, scratch;  // kMaxBatch blocks' states and gates
  std::vector<std::int32_t> ids;
  std::vector<std::uint32_t> pending;                  // entries added, not computed yet
  std::vector<std::vector<std::int32_t>> pending_ids;  // their token ids
  std::vector<std::uint32_t> found[kMaxBatch];         // entry of each instruction of a group's blocks
  CacheStats stats;

  Worker(const Network& n, std::size_t cap)
      : network(&n),
        capacity(std::max<std::size_t>(cap, 1)),
        stride(n.gate_stride()),
        states(kMaxBatch * 2 * static_cast<std::size_t>(n.depth()) * n.width()),
        gates(kMaxBatch * stride),
        scratch(kMaxBatch * 3 * stride) {}

  void clear() {
    entries = 0;
    by_bytes.clear();
    by_tokens.clear();
    by_table_id.clear();
  }

  float* preactivation(std::uint32_t entry) {
    return chunks[entry / kChunkEntries].data() + (entry % kChunkEntries) * stride;
  }

  // Index of a new entry for token ids `token_ids`, computed later by compute_pending().
  std::uint32_t add_entry(const std::vector<std::int32_t>& token_ids) {
    if (entries / kChunkEntries >= chunks.size()) chunks.emplace_back(kChunkEntries * stride);
    pending.push_back(static_cast<std::uint32_t>(entries));
    if (pending_ids.size() < pending.size()) pending_ids.resize(pending.size());
    pending_ids[pending.size() - 1].assign(token_ids.begin(), token_ids.end());
    ++stats.misses;
    return static_cast<std::uint32_t>(entries++);
  }

  std::uint32_t add(std::string token_key) {
    std::uint32_t index = add_entry(ids);
    by_tokens.emplace(std::move(token_key), index);
    return index;
  }

  // The cache entry of InstructionTable instruction `id` (computed on a miss).
  std::uint32_t entry(const InstructionTable& table, std::uint32_t id) {
    if (id >= by_table_id.size()) by_table_id.resize(std::max<std::size_t>(id + 1, table.size()), kNoEntry);
    std::uint32_t& index = by_table_id[id];
    if (index == kNoEntry) index = add_entry(table.tokens(id));
    return index;
  }

  // Runs the token LSTM over the new entries, kMaxBatch at a time.
  void compute_pending() {
    for (std::size_t first = 0; first < pending.size(); first += kMaxBatch) {
      const std::size_t count = std::min(kMaxBatch, pending.size() - first);
      const std::int32_t* id[kMaxBatch];
      std::size_t length[kMaxBatch];
      float* out[kMaxBatch];
      for (std::size_t b = 0; b < count; ++b) {
        id[b] = pending_ids[first + b].data();
        length[b] = pending_ids[first + b].size();
        out[b] = preactivation(pending[first + b]);
      }
      network->instruction_preactivation(count, id, length, out, scratch.data());
    }
    pending.clear();
  }

  // The cache entry of instruction i of `block` (computed on a miss).
  std::uint32_t entry(const BasicBlock& block, std::size_t i) {
    // The instruction's bytes, when the block has consistent offsets.
    InstructionBytes key;
    bool keyed = false;
    if (block.offsets.size() == block.instructions.size()) {
      std::size_t begin = block.offsets[i];
      std::size_t end = i + 1 < block.offsets.size() ? block.offsets[i + 1] : block.bytes.size();
      if (begin < end && end <= block.bytes.size() && end - begin <= 15) {
        unsigned char raw[16] = {};
        std::memcpy(raw, block.bytes.data() + begin, end - begin);
        raw[15] = static_cast<unsigned char>(end - begin);
        std::memcpy(&key.lo, raw, 8);
        std::memcpy(&key.hi, raw + 8, 8);
        keyed = true;
        auto it = by_bytes.find(key);
        if (it != by_bytes.end()) {
          ++stats.byte_hits;
          return it->second;
        }
      }
    }
    ids = network->vocabulary().encode(tokenize_instruction(block.instructions[i]));
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

  // Throughputs of `count` (1..kMaxBatch) blocks, run in lockstep.
  void predict(const BasicBlock* const* blocks, std::size_t count, double* out) {
    std::size_t lengths[kMaxBatch];
    for (std::size_t b = 0; b < count && b < kMaxBatch; ++b) lengths[b] = blocks[b]->instructions.size();
    run(count, lengths, [&](std::size_t b, std::size_t t) { return entry(*blocks[b], t); }, out);
  }

  // The same for blocks given as table ids: block b is ids[b][0, lengths[b]).
  void predict(const InstructionTable& table, const std::uint32_t* const* ids, const std::size_t* lengths,
               std::size_t count, double* out) {
    run(count, lengths, [&](std::size_t b, std::size_t t) { return entry(table, ids[b][t]); }, out);
  }

  // Blocks of lengths[b] instructions, instruction t of block b's entry
  // given by entry_of(b, t) (called once each, before any is computed).
  template <typename EntryOf>
  void run(std::size_t count, const std::size_t* lengths, EntryOf entry_of, double* out) {
    if (count > kMaxBatch) throw std::logic_error("Predictor: group larger than kMaxBatch");
    // Longest first, so the blocks still running at step t are a prefix.
    std::size_t order[kMaxBatch];
    std::size_t instructions = 0;
    for (std::size_t b = 0; b < count; ++b) {
      order[b] = b;
      instructions += lengths[b];
    }
    for (std::size_t b = 1; b < count; ++b)  // insertion sort, stable
      for (std::size_t a = b; a > 0 && lengths[order[a]] > lengths[order[a - 1]]; --a) std::swap(order[a], order[a - 1]);
    // Entries are only dropped here, never while a group holds their indices.
    if (entries > 0 && entries + instructions > capacity) {
      clear();
      ++stats.clears;
    }
    const std::size_t state_size = 2 * static_cast<std::size_t>(network->depth()) * network->width();
    std::fill(states.begin(), states.begin() + count * state_size, 0.0f);
    float* state[kMaxBatch];
    float* gate[kMaxBatch];
    for (std::size_t b = 0; b < count; ++b) {
      state[b] = states.data() + b * state_size;
      gate[b] = gates.data() + b * stride;
    }
    // Every instruction's entry first, so that the group's new instructions
    // go through the token LSTM together.
    for (std::size_t b = 0; b < count; ++b) {
      found[b].resize(lengths[order[b]]);
      for (std::size_t t = 0; t < lengths[order[b]]; ++t) found[b][t] = entry_of(order[b], t);
    }
    compute_pending();
    const float* preactivation[kMaxBatch];
    const std::size_t steps = count ? lengths[order[0]] : 0;
    for (std::size_t t = 0; t < steps; ++t) {
      std::size_t active = 0;
      while (active < count && lengths[order[active]] > t) ++active;
      for (std::size_t b = 0; b < active; ++b) preactivation[b] = this->preactivation(found[b][t]);
      network->instruction_step(active, preactivation, t == 0, state, gate);
    }
    for (std::size_t b = 0; b < count; ++b) out[order[b]] = network->throughput(state[b]);
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

double Predictor::predict(const BasicBlock& block) {
  const BasicBlock* one = &block;
  double out;
  worker(0).predict(&one, 1, &out);
  return out;
}

std::vector<double> Predictor::predict(const std::vector<BasicBlock>& blocks, unsigned jobs) {
  const std::size_t groups = (blocks.size() + kMaxBatch - 1) / kMaxBatch;
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(groups, 1))));
  worker(jobs - 1);  // every worker exists before the threads start
  std::vector<double> out(blocks.size());
  parallel_for(groups, jobs, [&](std::size_t g, unsigned w) {
    const std::size_t first = g * kMaxBatch, count = std::min(kMaxBatch, blocks.size() - first);
    const BasicBlock* group[kMaxBatch];
    for (std::size_t b = 0; b < count; ++b) group[b] = &blocks[first + b];
    workers_[w]->predict(group, count, out.data() + first);
  });
  return out;
}

std::vector<double> Predictor::predict(const InstructionTable& table, const std::vector<std::uint32_t>& ids,
                                       const std::vector<std::size_t>& starts, unsigned jobs) {
  if (starts.empty() || starts.back() > ids.size()) throw std::invalid_argument("Predictor: bad block starts");
  const std::size_t blocks = starts.size() - 1;
  const std::size_t groups = (blocks + kMaxBatch - 1) / kMaxBatch;
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(groups, 1))));
  worker(jobs - 1);  // every worker exists before the threads start
  std::vector<double> out(blocks);
  parallel_for(groups, jobs, [&](std::size_t g, unsigned w) {
    const std::size_t first = g * kMaxBatch, count = std::min(kMaxBatch, blocks - first);
    const std::uint32_t* group[kMaxBatch];
    std::size_t lengths[kMaxBatch];
    for (std::size_t b = 0; b < count; ++b) {
      group[b] = ids.data() + starts[first + b];
      lengths[b] = starts[first + b + 1] - starts[first + b];
    }
    workers_[w]->predict(table, group, lengths, count, out.data() + first);
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
