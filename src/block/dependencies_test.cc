// Dependency features of loop bodies whose dependencies are known by hand.
#include "block/dependencies.h"

#include <gtest/gtest.h>

#include <array>

#include "block/decoder.h"
#include "util/hex.h"

namespace surrogate::block {
namespace {

template <DependencyFeatureSet kSet>
std::vector<std::array<float, feature_count(kSet)>> features_in(const std::string& hex_block) {
  constexpr std::size_t kWidth = feature_count(kSet);
  std::size_t offset;
  std::string error;
  const BasicBlock block = Decoder().decode_block(*util::parse_hex(hex_block, &offset, &error), "test", {}, nullptr);
  std::vector<float> flat(block.instructions.size() * kWidth);
  dependency_features(block, kSet, flat.data());
  std::vector<std::array<float, kWidth>> out(block.instructions.size());
  for (std::size_t i = 0; i < flat.size(); ++i) out[i / kWidth][i % kWidth] = flat[i];
  return out;
}

using Features = std::vector<std::array<float, 8>>;
Features features_of(const std::string& hex_block) { return features_in<DependencyFeatureSet::kV1>(hex_block); }
using Features2 = std::vector<std::array<float, 10>>;
Features2 features2_of(const std::string& hex_block) { return features_in<DependencyFeatureSet::kV2>(hex_block); }

TEST(Dependencies, AChainThroughOneRegisterIsARecurrenceOfOne) {
  // imul %rax, %rax: reads what it wrote in the previous iteration.
  const Features f = features_of("480fafc0");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], (std::array<float, 8>{0, 1, 0, 0, 0, 1, 1, 0.25f}));
}

TEST(Dependencies, PointerChasingIsALoopCarriedAddress) {
  // movq 8(%rdi), %rdi: the load's address is the previous load's value.
  const Features f = features_of("488b7f08");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], (std::array<float, 8>{0, 0, 0, 1, 1, 1, 1, 0.25f}));
  // movq 16(%rdi), %rax; movq 40(%rax), %rdi: a cycle of two loads.
  const Features two = features_of("488b4710488b7828");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], (std::array<float, 8>{0, 0, 0, 1, 1, 1, 0.5f, 0.25f}));  // rdi from the 2nd, d = 1
  EXPECT_EQ(two[1], (std::array<float, 8>{0, 0, 1, 0, 1, 1, 0.5f, 0.25f}));
}

TEST(Dependencies, IndependentInstructionsAndZeroIdiomsHaveNoProducers) {
  // vmulps %ymm1, %ymm2, %ymm3; vmulps %ymm4, %ymm5, %ymm6: nothing written is read.
  for (const auto& i : features_of("c5ec59d9c5d459f4")) EXPECT_EQ(i, (std::array<float, 8>{})) << "vmulps";
  // xorl %eax, %eax; addq %rax, %rbx (rbx carried, rax from the idiom).
  const Features f = features_of("31c04801c3");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0], (std::array<float, 8>{}));  // reads nothing: an idiom
  EXPECT_FLOAT_EQ(f[1][0], 1.0f);             // rax from the instruction before
  EXPECT_FLOAT_EQ(f[1][1], 0.5f);             // rbx carried from itself: d = n = 2
  EXPECT_EQ(f[1][5], 1.0f);                   // rbx -> rbx: on a recurrence of one
  EXPECT_EQ(f[1][6], 1.0f);
}

TEST(Dependencies, SubRegistersShareTheirRegistersSlot) {
  // addl %ecx, %eax; addq %rax, %rdx: eax written, rax read (same slot).
  const Features f = features_of("01c84801c2");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_FLOAT_EQ(f[1][0], 1.0f);
  // vaddps %xmm0, %xmm1, %xmm2; vaddps %ymm2, %ymm3, %ymm4: xmm2 and ymm2 are one register.
  const Features v = features_of("c5f058d0c5e458e2");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FLOAT_EQ(v[1][0], 1.0f);
}

// A chain of n imuls through rax is one recurrence of n instructions, found
// on bit sets up to 64 instructions and on lists beyond.
TEST(Dependencies, LongChainsAreOneRecurrence) {
  for (std::size_t n : {64u, 65u, 70u}) {
    std::string hex;
    for (std::size_t i = 0; i < n; ++i) hex += "480fafc0";
    const Features f = features_of(hex);
    ASSERT_EQ(f.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(f[i][5], 1.0f) << n << " " << i;
      EXPECT_FLOAT_EQ(f[i][6], 1.0f / static_cast<float>(n)) << n << " " << i;
      // The producer is the instruction before: for the first, the last of the previous iteration (d = 1).
      EXPECT_EQ(f[i][i == 0 ? 1 : 0], 1.0f) << n << " " << i;
    }
  }
}

// kV2 tells a recurrence through a load-op's register operand (read after the
// load: the load is not on the chain) from one through an address, and a
// pure load from an ALU op with a memory source.
TEST(Dependencies, SetTwoSeparatesValueChainsFromAddressChains) {
  // addq (%rdi,%rcx,8), %rax; movq %rax, (%rsi,%rcx,8); incq %rcx
  const Features2 stream = features2_of("480304cf488904ce48ffc1");
  ASSERT_EQ(stream.size(), 3u);
  EXPECT_EQ(stream[0][8], 1.0f);  // rax -> addq -> rax: a value chain of one
  EXPECT_EQ(stream[0][9], 0.0f);  // no cycle through addq crosses an address
  EXPECT_EQ(stream[1][4], 0.0f);  // the store's rax comes from an add, not a pure load
  EXPECT_EQ(stream[1][5], 0.0f);  // the store is on no recurrence
  EXPECT_EQ(stream[2][8], 1.0f);  // incq %rcx
  EXPECT_EQ(stream[2][9], 0.0f);
  // Set 1 says "a load feeds it" for the store (its producer reads memory).
  EXPECT_EQ(features_of("480304cf488904ce48ffc1")[1][4], 1.0f);
  // Set 2 agrees with set 1 on every feature they share, but 4.
  const Features one = features_of("480304cf488904ce48ffc1");
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t k = 0; k < 8; ++k)
      if (k != 4) EXPECT_EQ(one[i][k], stream[i][k]) << i << " " << k;

  // movq 8(%rdi), %rdi: pointer chasing, the chain crosses an address.
  const Features2 chase = features2_of("488b7f08");
  EXPECT_EQ(chase[0], (std::array<float, 10>{0, 0, 0, 1, 1, 1, 1, 0.25f, 0, 1}));
  // movq 16(%rdi), %rax; movq 40(%rax), %rdi: a cycle of two, both edges addresses.
  const Features2 two = features2_of("488b4710488b7828");
  EXPECT_EQ(two[0][8], 0.0f);
  EXPECT_EQ(two[0][9], 0.5f);
  // subq 16(%r12), %r13; imulq %r13, %rbx: the imul's producer is no pure load.
  const Features2 alu = features2_of("4d2b6c2410490fafdd");
  EXPECT_EQ(alu[1][4], 0.0f);
  EXPECT_EQ(features_of("4d2b6c2410490fafdd")[1][4], 1.0f);
}

// A recurrence with both kinds of cycle: addq 8(%rdi), %rdi carries rdi as a
// value (one instruction) and as an address (the same instruction).
TEST(Dependencies, SetTwoFindsBothKindsOfCycleThroughOneInstruction) {
  const Features2 f = features2_of("48037f08");  // addq 8(%rdi), %rdi
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0][8], 1.0f);
  EXPECT_EQ(f[0][9], 1.0f);
  // Chains of 64 (bit sets) and 65 (lists): each instruction on one cycle of the whole block, both ways.
  std::string hex;
  for (int i = 0; i < 65; ++i) hex += "48037f08";
  const Features2 many = features2_of(hex);
  std::string small;
  for (int i = 0; i < 64; ++i) small += "48037f08";
  const Features2 bits = features2_of(small);
  EXPECT_FLOAT_EQ(many[10][8], 1.0f / 65);
  EXPECT_FLOAT_EQ(many[10][9], 1.0f / 65);
  EXPECT_FLOAT_EQ(bits[10][8], 1.0f / 64);
  EXPECT_FLOAT_EQ(bits[10][9], 1.0f / 64);
}

}  // namespace
}  // namespace surrogate::block
