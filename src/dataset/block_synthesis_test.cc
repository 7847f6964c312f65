#include "dataset/block_synthesis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <map>
#include <set>

#include "block/decoder.h"
#include "block/dependencies.h"
#include "block/x86_target.h"
#include "mca/cpu_params.h"
#include "mca/simulator.h"

namespace surrogate::dataset {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(BlockSynthesis, DrawsFromTheOpcodesTheCpuHas) {
  const std::vector<std::string> haswell = BlockSynthesizer("haswell", 1).opcodes();
  const std::vector<std::string> znver4 = BlockSynthesizer("znver4", 1).opcodes();
  for (const char* op : {"ADD64rr", "IMUL64rr", "DIV64r", "MOV64rm", "CRC32r64r64", "POPCNT64rr", "VFMADD231PSYr",
                         "VDIVPSYrr", "SQRTSDr", "CMOV64rr", "XCHG64rr"}) {
    EXPECT_TRUE(has(haswell, op)) << op;
    EXPECT_TRUE(has(znver4, op)) << op;
  }
  // AVX-512 only where the CPU has it; no control flow, no twin encodings.
  EXPECT_FALSE(has(haswell, "VADDPSZrr"));
  EXPECT_TRUE(has(znver4, "VADDPSZrr"));
  for (const auto* pool : {&haswell, &znver4}) {
    EXPECT_GT(pool->size(), 1000u);
    EXPECT_FALSE(has(*pool, "JMP_1"));
    EXPECT_FALSE(has(*pool, "RET64"));
    EXPECT_FALSE(has(*pool, "XOR32rr_REV"));
  }
  EXPECT_THROW(BlockSynthesizer("pentium-x", 1), std::invalid_argument);
}

TEST(BlockSynthesis, BlocksAreDeterministicValidAndSimulate) {
  BlockSynthesizer a("haswell", 7), b("haswell", 7), c("haswell", 8);
  const block::Decoder decoder;
  const mca::Simulator simulator(mca::CpuParams::stock("haswell"));
  std::set<std::vector<std::uint8_t>> seen;
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    const SynthesizedBlock x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x.bytes, y.bytes);
    EXPECT_EQ(x.shape, y.shape);
    differ += x.bytes != z.bytes;
    EXPECT_TRUE(seen.insert(x.bytes).second) << "a block twice";
    const block::BasicBlock decoded = decoder.decode_block(x.bytes, "synthesized", {}, nullptr);
    EXPECT_GE(decoded.instructions.size(), 1u);
    EXPECT_LE(decoded.instructions.size(), BlockSynthesizer::kMaxInstructions);
    EXPECT_GT(simulator.cycles(decoded), 0u);
  }
  EXPECT_GT(differ, 95) << "another seed, other blocks";
}

// The shapes are what they say: in a chain block an instruction reads what
// the one before it wrote far more often than in an independent block (where
// only flags and implicit registers link them); pointer chasing reads
// addresses that instructions of the block wrote.
TEST(BlockSynthesis, ShapesGiveTheirDependencyStructure) {
  BlockSynthesizer synthesizer("znver4", 3);
  const block::Decoder decoder;
  const auto set = block::DependencyFeatureSet::kV2;
  const std::size_t n_features = block::feature_count(set);
  std::map<BlockShape, double> instructions, value_producer, address_producer;
  for (int i = 0; i < 500; ++i) {
    const SynthesizedBlock s = synthesizer.next();
    const block::BasicBlock b = decoder.decode_block(s.bytes, "synthesized", {}, nullptr);
    std::vector<float> f(b.instructions.size() * n_features);
    block::dependency_features(b, set, f.data());
    for (std::size_t k = 1; k < b.instructions.size(); ++k) {
      instructions[s.shape] += 1;
      value_producer[s.shape] += f[k * n_features + 0] > 0;
      address_producer[s.shape] += f[k * n_features + 2] > 0 || f[k * n_features + 3] > 0;
    }
  }
  auto share = [&](std::map<BlockShape, double>& m, BlockShape s) { return m[s] / instructions[s]; };
  for (BlockShape s : {BlockShape::kChain, BlockShape::kIndependent, BlockShape::kPointerChase, BlockShape::kMixed}) {
    ASSERT_GT(instructions[s], 300) << name_of(s);
    std::printf("%-14s value producer %.2f, address producer %.2f\n", std::string(name_of(s)).c_str(),
                share(value_producer, s), share(address_producer, s));
  }
  EXPECT_GT(share(value_producer, BlockShape::kChain), 0.5);  // 0.65: stores, compares and other files write none
  EXPECT_LT(share(value_producer, BlockShape::kIndependent), 0.15);  // 0.01
  EXPECT_GT(share(address_producer, BlockShape::kPointerChase),
            share(address_producer, BlockShape::kChain) + 0.2);  // 0.33, 0.01
}

// Fork-join blocks: a copy of the chain register first (a register move a
// CPU may eliminate), the join last: it writes the chain register and reads
// it and the copy's register; the loop-carried recurrence runs through the
// join always and through the copy in most blocks (unless every change of
// the temporary overwrote it without reading it).
TEST(BlockSynthesis, ForkJoinBlocksRunTheirRecurrenceThroughACopy) {
  const block::Decoder decoder;
  const auto set = block::DependencyFeatureSet::kV2;
  const std::size_t n_features = block::feature_count(set);
  for (const char* cpu : {"haswell", "znver4"}) {
    BlockSynthesizer synthesizer(cpu, 4);
    std::set<std::vector<std::uint8_t>> seen;
    std::map<std::string, int> copies;
    int blocks = 0, joins_on_recurrence = 0, copies_on_recurrence = 0, two_segments = 0;
    for (; blocks < 300; ++blocks) {
      const SynthesizedBlock s = synthesizer.fork_join();
      EXPECT_EQ(s.shape, BlockShape::kForkJoin);
      EXPECT_TRUE(seen.insert(s.bytes).second) << "a block twice";
      const block::BasicBlock b = decoder.decode_block(s.bytes, "fork-join", {}, nullptr);
      const std::size_t n = b.instructions.size();
      ASSERT_GE(n, 3u);
      ASSERT_LE(n, 8u);
      const std::string copy = block::X86Target::get().opcode_name(b.instructions[0].getOpcode());
      ++copies[copy];
      EXPECT_TRUE(copy.starts_with("MOV") || copy.starts_with("VMOV")) << copy;
      const block::InstructionDataflow fork = block::dataflow_of(b.instructions[0]);
      const block::InstructionDataflow join = block::dataflow_of(b.instructions[n - 1]);
      ASSERT_EQ(std::popcount(fork.reads), 1) << copy;
      EXPECT_TRUE(join.writes & fork.reads) << "the join writes the chain register";
      EXPECT_TRUE(join.reads & fork.reads) << "the join reads the chain register";
      EXPECT_TRUE(join.reads & fork.writes) << "the join reads the copy";
      std::vector<float> f(n * n_features);
      block::dependency_features(b, set, f.data());
      joins_on_recurrence += f[(n - 1) * n_features + 5] > 0;
      copies_on_recurrence += f[5] > 0;
      for (std::size_t k = 1; k + 1 < n; ++k)  // a second fork: another copy of the chain register
        two_segments += block::dataflow_of(b.instructions[k]) == fork &&
                        block::X86Target::get().opcode_name(b.instructions[k].getOpcode()).find("MOV") <= 1;
    }
    std::printf("%s: %d blocks, %zu copy opcodes, joins on a recurrence %d, copies %d, second forks %d\n", cpu,
                blocks, copies.size(), joins_on_recurrence, copies_on_recurrence, two_segments);
    EXPECT_EQ(joins_on_recurrence, blocks);
    EXPECT_GT(copies_on_recurrence, blocks / 2);
    EXPECT_GT(two_segments, blocks / 4);  // one or two segments, half each
    EXPECT_GE(copies.size(), 4u) << "GPR and vector copies of several widths";
  }
}

// The census gives every opcode blocks of its own: a chain of one instance,
// mostly on a recurrence (the instruction reads what it wrote in the last
// iteration; moves, stores and compares write no register they read), a
// chain of two, and an independent stream, whose instructions read no
// register value written in the block.
TEST(BlockSynthesis, CensusGivesEveryOpcodeBlocksOfItsOwn) {
  BlockSynthesizer synthesizer("haswell", 2);
  const std::vector<std::string> opcodes = synthesizer.opcodes();
  const std::vector<SynthesizedBlock> census = synthesizer.census();
  const block::Decoder decoder;
  const auto set = block::DependencyFeatureSet::kV2;
  const std::size_t n_features = block::feature_count(set);
  std::map<std::string, int> forms;
  std::set<std::vector<std::uint8_t>> seen;
  int one_chains = 0, one_chains_on_recurrence = 0, stream_instructions = 0, stream_value_producers = 0;
  for (const SynthesizedBlock& s : census) {
    EXPECT_TRUE(seen.insert(s.bytes).second) << "a block twice";
    ++forms[s.opcode];
    const block::BasicBlock b = decoder.decode_block(s.bytes, "census", {}, nullptr);
    std::vector<float> f(b.instructions.size() * n_features);
    block::dependency_features(b, set, f.data());
    if (s.shape == BlockShape::kChain && b.instructions.size() == 1) {
      ++one_chains;
      one_chains_on_recurrence += f[5] > 0;
    } else if (s.shape == BlockShape::kIndependent) {
      EXPECT_EQ(b.instructions.size(), BlockSynthesizer::kCensusStream);
      for (std::size_t k = 0; k < b.instructions.size(); ++k, ++stream_instructions)
        stream_value_producers += f[k * n_features + 0] > 0;
    } else {
      EXPECT_EQ(s.shape, BlockShape::kChain);
      EXPECT_EQ(b.instructions.size(), 2u);
    }
  }
  std::size_t with_three = 0;
  for (const std::string& name : opcodes) with_three += forms[name] == 3;
  EXPECT_EQ(forms.size(), opcodes.size()) << "an opcode without a block, or a block of none";
  EXPECT_GT(with_three, opcodes.size() * 9 / 10);
  for (const char* name : {"BLSR64rr", "IMUL64rr", "DIV64r", "VFMADD213SDr", "SHL64rCL", "CRC32r64r64"})
    EXPECT_EQ(forms[name], 3) << name;
  EXPECT_GT(one_chains_on_recurrence, one_chains * 6 / 10);     // 2,362 of 3,171
  EXPECT_LT(stream_value_producers, stream_instructions / 10);  // 654 of 12,684: flags, implicit registers
  std::printf(
      "%zu opcodes, %zu blocks, %zu opcodes with all three forms, %d of %d one-instruction chains on a "
      "recurrence, %d of %d stream instructions with a value producer\n",
      opcodes.size(), census.size(), with_three, one_chains_on_recurrence, one_chains, stream_value_producers,
      stream_instructions);
}

}  // namespace
}  // namespace surrogate::dataset
