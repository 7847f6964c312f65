// Dependency features of loop bodies whose dependencies are known by hand.
#include "block/dependencies.h"

#include <gtest/gtest.h>

#include <array>

#include "block/decoder.h"
#include "util/hex.h"

namespace surrogate {
namespace {

using Features = std::vector<std::array<float, kDependencyFeatures>>;

Features features_of(const std::string& hex_block) {
  std::size_t offset;
  std::string error;
  const BasicBlock block = Decoder().decode_block(*parse_hex(hex_block, &offset, &error), "test", {}, nullptr);
  std::vector<float> flat(block.instructions.size() * kDependencyFeatures);
  dependency_features(block, flat.data());
  Features out(block.instructions.size());
  for (std::size_t i = 0; i < flat.size(); ++i) out[i / kDependencyFeatures][i % kDependencyFeatures] = flat[i];
  return out;
}

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

}  // namespace
}  // namespace surrogate
