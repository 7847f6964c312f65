#include "block/rip_relative.h"

#include <gtest/gtest.h>

#include "block/asm_reader.h"
#include "block/decoder.h"

namespace surrogate::block {
namespace {

BasicBlock decode(std::vector<uint8_t> bytes) { return Decoder().decode_block(std::move(bytes), "t", {}, nullptr); }

TEST(RipRelative, FindsEachDisplacementAfterItsModRm) {
  // mov edx, eax; mov rax, [rip + 0x39df5b]; add dword [rax + 32], 1;
  // add dword [rip + 0x10], 0x7  (an immediate after the displacement); lea rdi, [rip - 8]
  const BasicBlock b = decode({0x89, 0xC2,                                  // mov edx, eax
                               0x48, 0x8B, 0x05, 0x5B, 0xDF, 0x39, 0x00,    // mov rax, [rip + 0x39df5b]
                               0x83, 0x40, 0x20, 0x01,                      // add dword [rax + 32], 1
                               0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x07,    // add dword [rip + 0x10], 7
                               0x48, 0x8D, 0x3D, 0xF8, 0xFF, 0xFF, 0xFF});  // lea rdi, [rip - 8]
  ASSERT_EQ(b.instructions.size(), 5u);
  const auto fields = rip_relative_fields(b);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].offset, 5u);
  EXPECT_EQ(fields[0].instruction_end, 9u);
  EXPECT_EQ(fields[1].offset, 15u);  // before the immediate 7
  EXPECT_EQ(fields[1].instruction_end, 20u);
  EXPECT_EQ(fields[2].offset, 23u);
  EXPECT_EQ(fields[2].instruction_end, 27u);
}

TEST(RipRelative, OtherAddressingHasNone) {
  // mov rax, [rbx + 0x05]: a ModRM byte and displacement that look alike but are not RIP-relative;
  // mov eax, [0x1234] via SIB (absolute, no base); mov rax, fs:[0]
  const BasicBlock b = decode({0x48, 0x8B, 0x43, 0x05, 0x8B, 0x04, 0x25, 0x34, 0x12, 0x00,
                               0x00, 0x64, 0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00});
  ASSERT_EQ(b.instructions.size(), 3u);
  EXPECT_TRUE(rip_relative_fields(b).empty());
}

// The alignment an operand needs or the instruction faults: legacy SSE with
// a 16-byte operand 16 (movaps, movdqa, paddd, andpd), the unaligned and
// narrower forms 1 (movups, movsd, addsd, movq, pmovzxbw), VEX and EVEX only
// the aligned moves, at their size.
TEST(RipRelative, AlignmentAnOperandNeeds) {
  const std::vector<std::pair<std::string, std::uint32_t>> cases = {
      {"movaps 16(%rip), %xmm0", 16},    {"movdqa %xmm1, 16(%rip)", 16},    {"paddd 16(%rip), %xmm1", 16},
      {"andpd 16(%rip), %xmm2", 16},     {"pshufb 16(%rip), %xmm3", 16},    {"movups 16(%rip), %xmm0", 1},
      {"movdqu 16(%rip), %xmm0", 1},     {"movsd 16(%rip), %xmm0", 1},      {"addsd 16(%rip), %xmm0", 1},
      {"movq 16(%rip), %xmm0", 1},       {"pmovzxbw 16(%rip), %xmm0", 1},   {"cvtsi2sdl 16(%rip), %xmm0", 1},
      {"movq 16(%rip), %rax", 1},        {"vmovaps 16(%rip), %xmm0", 16},   {"vmovdqa 16(%rip), %ymm0", 32},
      {"vmovdqa64 16(%rip), %zmm0", 64}, {"vmovdqa32 %ymm1, 16(%rip)", 32}, {"vpaddd 16(%rip), %ymm0, %ymm0", 1},
      {"vmovups 16(%rip), %ymm0", 1},    {"movntdq %xmm0, 16(%rip)", 16}};
  for (const auto& [text, alignment] : cases) {
    const BlockFile in = read_asm(text + "\n", "a.s");
    ASSERT_EQ(in.blocks.size(), 1u) << text;
    const auto fields = rip_relative_fields(in.blocks[0]);
    ASSERT_EQ(fields.size(), 1u) << text;
    EXPECT_EQ(fields[0].alignment, alignment) << text;
  }
}

}  // namespace
}  // namespace surrogate::block
