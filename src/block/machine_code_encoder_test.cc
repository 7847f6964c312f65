#include "block/machine_code_encoder.h"

#include <gtest/gtest.h>

#include "block/block_reader.h"
#include "block/decoder.h"
#include "util/hex.h"

namespace surrogate::block {
namespace {

std::string text_of(const BasicBlock& b) { return format_block(b); }

// Every block of the shipped sample, re-encoded from its decoded (canonical)
// instructions, decodes to the same instructions; most keep their bytes.
TEST(MachineCodeEncoder, ReencodedBlocksDecodeToTheSameInstructions) {
  std::vector<BasicBlock> blocks = read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  ASSERT_GT(blocks.size(), 1000u);
  MachineCodeEncoder encoder;
  Decoder decoder;
  std::size_t same_bytes = 0;
  for (const BasicBlock& b : blocks) {
    std::vector<std::uint8_t> bytes = encoder.encode(b.instructions);
    BasicBlock again = decoder.decode_block(bytes, b.name, {}, nullptr);
    ASSERT_EQ(text_of(again), text_of(b)) << b.name << " " << b.hex() << " -> " << util::to_hex(bytes);
    same_bytes += bytes == b.bytes;
  }
  EXPECT_GT(same_bytes, blocks.size() * 9 / 10);
}

TEST(MachineCodeEncoder, CanonicalOpcodesGiveAnEquivalentEncoding) {
  MachineCodeEncoder encoder;
  Decoder decoder;
  BasicBlock b = decoder.decode_block({0x33, 0xd2}, "xor", {}, nullptr);  // xor edx, edx (the _REV form)
  EXPECT_EQ(util::to_hex(encoder.encode(b.instructions)), "31d2");
}

}  // namespace
}  // namespace surrogate::block
