// Predictor against a plain double-precision reference of the same network,
// on real blocks; every kernel set, batches and the cache give the same values.
#include "runtime/predictor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "block/block_reader.h"
#include "block/decoder.h"
#include "block/tokenizer.h"
#include "util/hex.h"

namespace surrogate::runtime {
namespace {

const std::string kSample = std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv";

// The first 300 sample blocks (decoded once).
const std::vector<block::BasicBlock>& sample_blocks() {
  static const std::vector<block::BasicBlock> blocks = [] {
    std::vector<block::BasicBlock> all = block::read_blocks(kSample);
    all.resize(300);
    return all;
  }();
  return blocks;
}

// Vocabulary of the first 100 blocks: later blocks have unknown tokens too.
block::Vocabulary sample_vocabulary() {
  std::vector<block::InstructionTokens> instructions;
  for (std::size_t b = 0; b < 100; ++b)
    for (block::InstructionTokens& t : block::tokenize_block(sample_blocks()[b])) instructions.push_back(std::move(t));
  return block::Vocabulary::build(instructions);
}

// PyTorch's nn::LSTM and the hierarchical model, written out in doubles.
class Reference {
 public:
  explicit Reference(const ModelFile& m) : m_(m), w_(m.width) {}

  double predict(const block::BasicBlock& block) const {
    std::vector<std::vector<double>> sequence;
    for (const llvm::MCInst& inst : block.instructions) {
      std::vector<double> h(w_, 0.0), c(w_, 0.0);
      for (std::int32_t id : m_.vocabulary.encode(block::tokenize_instruction(inst))) {
        const float* e = m_.tensor("embedding").data() + static_cast<std::size_t>(id) * w_;
        step("token_lstm", "", std::vector<double>(e, e + w_), h, c);
      }
      sequence.push_back(h);
    }
    for (int k = 0; k < m_.depth; ++k) {
      std::vector<double> h(w_, 0.0), c(w_, 0.0);
      std::vector<std::vector<double>> out;
      for (const std::vector<double>& x : sequence) {
        step("instruction_lstm", "_l" + std::to_string(k), x, h, c);
        out.push_back(h);
      }
      sequence = out;
    }
    double y = m_.tensor("head.bias")[0];
    for (int j = 0; j < w_; ++j) y += m_.tensor("head.weight")[j] * sequence.back()[j];
    return std::exp(y);
  }

 private:
  void step(const std::string& lstm, const std::string& layer, const std::vector<double>& x, std::vector<double>& h,
            std::vector<double>& c) const {
    const std::vector<float>& wih = m_.tensor(lstm + ".weight_ih" + layer);
    const std::vector<float>& whh = m_.tensor(lstm + ".weight_hh" + layer);
    const std::vector<float>& bih = m_.tensor(lstm + ".bias_ih" + layer);
    const std::vector<float>& bhh = m_.tensor(lstm + ".bias_hh" + layer);
    std::vector<double> g(4 * w_);
    for (int r = 0; r < 4 * w_; ++r) {
      double s = static_cast<double>(bih[r]) + bhh[r];
      for (int j = 0; j < w_; ++j) s += wih[r * w_ + j] * x[j] + whh[r * w_ + j] * h[j];
      g[r] = s;
    }
    auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    for (int j = 0; j < w_; ++j) {
      c[j] = sigmoid(g[w_ + j]) * c[j] + sigmoid(g[j]) * std::tanh(g[2 * w_ + j]);
      h[j] = sigmoid(g[3 * w_ + j]) * std::tanh(c[j]);
    }
  }

  const ModelFile& m_;
  int w_;
};

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) isas.push_back(isa);
  return isas;
}

double relative(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

void expect_matches_reference(int width, int depth, std::uint64_t seed, std::size_t blocks) {
  ModelFile model = random_model_file(sample_vocabulary(), width, depth, seed);
  Reference reference(model);
  for (Isa isa : supported_isas()) {
    Predictor predictor(model, isa);
    double worst = 0;
    for (std::size_t b = 0; b < blocks; ++b) {
      const block::BasicBlock& block = sample_blocks()[b];
      double want = reference.predict(block);
      double got = predictor.predict(block);
      worst = std::max(worst, relative(got, want));
      ASSERT_LT(relative(got, want), 1e-5) << isa_name(isa) << " W=" << width << " D=" << depth << " block " << b << " "
                                           << block.hex() << ": " << got << " vs " << want;
    }
    std::cout << isa_name(isa) << " W=" << width << " D=" << depth << ": worst relative difference " << worst << "\n";
  }
}

TEST(Predictor, MatchesReferenceTinyModel) { expect_matches_reference(8, 2, 42, 300); }
// Widths that exercise every tile and tail of the kernels (4W = 20, 160, 256).
TEST(Predictor, MatchesReferenceOddWidths) {
  expect_matches_reference(5, 3, 7, 60);
  expect_matches_reference(40, 1, 8, 60);
  expect_matches_reference(64, 2, 9, 40);
}

TEST(Predictor, KernelSetsAgree) {
  ModelFile model = random_model_file(sample_vocabulary(), 32, 2, 11);
  Predictor scalar(model, Isa::kScalar);
  for (Isa isa : supported_isas()) {
    Predictor vector(model, isa);
    for (const block::BasicBlock& block : sample_blocks())
      EXPECT_LT(relative(vector.predict(block), scalar.predict(block)), 1e-5) << isa_name(isa) << " " << block.hex();
  }
}

// Batches run blocks in lockstep groups through the batched kernel.
TEST(Predictor, BatchesAndThreadsGiveTheSingleBlockValues) {
  for (auto [width, depth] : {std::pair{16, 2}, std::pair{40, 3}}) {
    ModelFile model = random_model_file(sample_vocabulary(), width, depth, 12);
    for (Isa isa : supported_isas()) {
      auto network = std::make_shared<const Network>(model, isa);
      std::vector<double> single;
      for (const block::BasicBlock& block : sample_blocks()) {
        Predictor fresh(network);  // no cache: every instruction computed
        single.push_back(fresh.predict(block));
      }
      for (unsigned jobs : {1u, 2u, 3u}) {
        Predictor p(network);
        EXPECT_EQ(p.predict(sample_blocks(), jobs), single) << isa_name(isa) << " " << jobs << " jobs";
        EXPECT_EQ(p.predict(sample_blocks(), jobs), single) << isa_name(isa) << " " << jobs << " jobs, warm cache";
      }
    }
    Predictor p(model);
    EXPECT_TRUE(p.predict(std::vector<block::BasicBlock>{}, 2).empty());
  }
}

TEST(Predictor, CacheHitsGiveIdenticalValues) {
  ModelFile model = random_model_file(sample_vocabulary(), 16, 1, 13);
  Predictor p(model);
  std::vector<double> cold = p.predict(sample_blocks(), 1);
  CacheStats first = p.stats();
  std::size_t instructions = 0;
  for (const block::BasicBlock& block : sample_blocks()) instructions += block.instructions.size();
  EXPECT_EQ(first.blocks, sample_blocks().size());
  EXPECT_EQ(first.instructions, instructions);
  EXPECT_EQ(first.byte_hits + first.token_hits + first.misses, instructions);
  EXPECT_EQ(first.entries, first.misses);
  // Token prefixes are shared between instructions (opcode and sources come first).
  EXPECT_GT(first.token_steps, first.misses);
  EXPECT_LT(first.token_steps, first.tokens * 3 / 4) << first.summary();
  EXPECT_GT(first.hit_rate(), 0.3) << first.summary();  // real code repeats instructions

  std::vector<double> warm = p.predict(sample_blocks(), 1);
  EXPECT_EQ(warm, cold);
  CacheStats second = p.stats();
  EXPECT_EQ(second.byte_hits - first.byte_hits, instructions);
  EXPECT_EQ(second.misses, first.misses);

  // A cache of one entry, emptied all the time, and blocks without byte
  // offsets (cached by token ids only): still the same values.
  Predictor tiny(p.shared_network(), 1);
  EXPECT_EQ(tiny.predict(sample_blocks(), 1), cold);
  EXPECT_GT(tiny.stats().clears, 0u);
  std::vector<block::BasicBlock> unkeyed = sample_blocks();
  for (block::BasicBlock& block : unkeyed) block.offsets.clear();
  Predictor by_tokens(p.shared_network());
  EXPECT_EQ(by_tokens.predict(unkeyed, 1), cold);
  EXPECT_EQ(by_tokens.stats().byte_hits, 0u);
  EXPECT_EQ(by_tokens.stats().misses, first.misses);
}

TEST(Predictor, SameTokensDifferentBytesShareAnEmbedding) {
  ModelFile model = random_model_file(sample_vocabulary(), 8, 1, 14);
  block::Decoder decoder;
  auto decode = [&](const std::string& hex) {
    std::size_t at;
    std::string error;
    return decoder.decode_block(*util::parse_hex(hex, &at, &error), hex, {}, nullptr);
  };
  // add rax, 0x10 and add rax, 0x20: both immediates are IMM:i8.
  block::BasicBlock a = decode("4883c010"), b = decode("4883c020");
  Predictor p(model);
  double ta = p.predict(a), tb = p.predict(b);
  EXPECT_EQ(ta, tb);
  EXPECT_EQ(p.stats().token_hits, 1u);
  EXPECT_EQ(p.stats().misses, 1u);
  p.predict(b);
  EXPECT_EQ(p.stats().byte_hits, 1u);
  EXPECT_NE(p.stats().summary().find("3 blocks, 3 instructions, cache hits 66.7%"), std::string::npos)
      << p.stats().summary();
}

}  // namespace
}  // namespace surrogate::runtime
