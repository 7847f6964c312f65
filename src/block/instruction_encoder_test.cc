#include "block/instruction_encoder.h"

#include <gtest/gtest.h>

#include "block/block_reader.h"

namespace surrogate::block {
namespace {

// On every instruction of the shipped sample, the encoder's ids are the
// vocabulary's ids of the tokenizer's text; the vocabulary is that of the
// first 200 blocks, so later blocks have unknown tokens too.
TEST(InstructionEncoder, SameIdsAsTheTokenText) {
  const std::vector<BasicBlock> blocks = read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  std::vector<InstructionTokens> first;
  for (std::size_t b = 0; b < 200; ++b)
    for (InstructionTokens& t : tokenize_block(blocks[b])) first.push_back(std::move(t));
  const Vocabulary vocabulary = Vocabulary::build(first);
  InstructionEncoder encoder(vocabulary);
  std::size_t instructions = 0, unknown = 0;
  std::vector<std::int32_t> ids;
  for (const BasicBlock& block : blocks)
    for (const llvm::MCInst& inst : block.instructions) {
      encoder.encode(inst, &ids);
      const std::vector<std::int32_t> want = vocabulary.encode(tokenize_instruction(inst));
      ASSERT_EQ(ids, want) << block.name;
      ++instructions;
      for (std::int32_t id : ids) unknown += id == Vocabulary::kUnk;
    }
  EXPECT_GT(instructions, 10000u);
  EXPECT_GT(unknown, 0u);
}

TEST(InstructionEncoder, TokenTextOfEveryKind) {
  EXPECT_EQ(token_text({TokenRef::kLiteral, 0}), "<S>");
  EXPECT_EQ(token_text({TokenRef::kLiteral, static_cast<std::uint32_t>(kLiteralTokenCount - 1)}), "IMM:fp");
  EXPECT_EQ(token_text({TokenRef::kScale, 4}), "S:4");
}

}  // namespace
}  // namespace surrogate::block
