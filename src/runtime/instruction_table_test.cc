// InstructionTable: splitting blocks by known instruction bytes gives the
// decoder's instructions and offsets, and the same predictions, on every
// block of the shipped data; anything unusual is left to the decoder.
#include "runtime/instruction_table.h"

#include <gtest/gtest.h>

#include "block/block_reader.h"
#include "block/tokenizer.h"
#include "runtime/predictor.h"
#include "runtime/x86_token_frontend.h"
#include "util/hex.h"

namespace surrogate::runtime {
namespace {

const std::string kData = std::string(SURROGATE_SOURCE_DIR) + "/data/";

std::vector<std::uint8_t> hex(const std::string& text) {
  std::size_t offset;
  std::string error;
  return *util::parse_hex(text, &offset, &error);
}

block::Vocabulary vocabulary_of(const std::vector<block::BasicBlock>& blocks, std::size_t count) {
  std::vector<block::InstructionTokens> instructions;
  for (std::size_t b = 0; b < count && b < blocks.size(); ++b)
    for (block::InstructionTokens& t : block::tokenize_block(blocks[b])) instructions.push_back(std::move(t));
  return block::Vocabulary::build(instructions);
}

void expect_same_as_decoder(const std::string& file) {
  const std::vector<block::BasicBlock> blocks = block::read_blocks(kData + file);
  // Vocabulary of the first blocks: the later ones have unknown tokens too.
  const block::Vocabulary vocabulary = vocabulary_of(blocks, 500);
  InstructionTable table(vocabulary);
  std::vector<std::uint32_t> ids;
  std::vector<std::size_t> starts{0};
  std::size_t split = 0;
  for (const block::BasicBlock& block : blocks) {
    std::vector<std::uint32_t> offsets;
    const std::size_t first = ids.size();
    if (table.split(block.bytes.data(), block.bytes.size(), &ids, &offsets)) {
      ++split;
      ASSERT_EQ(offsets, block.offsets) << file << " " << block.name;
    } else {
      ADD_FAILURE() << "left to the decoder: " << block.name << " " << block.hex() << "\n"
                    << block::format_block(block);
      table.encode(block, &ids);
    }
    ASSERT_EQ(ids.size() - first, block.instructions.size()) << block.name;
    for (std::size_t i = 0; i < block.instructions.size(); ++i)
      ASSERT_EQ(table.tokens(ids[first + i]), vocabulary.encode(block::tokenize_instruction(block.instructions[i])))
          << file << " " << block.name << " instruction " << i;
    starts.push_back(ids.size());
  }
  EXPECT_EQ(split, blocks.size()) << "blocks left to the decoder";
  EXPECT_GT(table.byte_hits(), ids.size() / 3) << "instructions found by their bytes";
  EXPECT_EQ(table.byte_hits() + table.token_hits() + table.new_instructions(), ids.size());

  // The same predictions, bit for bit, on one thread and two.
  // The model's frontend splits the same way, to the same ids.
  X86TokenFrontend frontend(vocabulary);
  std::vector<std::uint32_t> frontend_ids;
  for (const block::BasicBlock& block : blocks) frontend.split(block.bytes, &frontend_ids);
  ASSERT_EQ(frontend_ids, ids) << file;
  Predictor by_blocks(random_model_file(vocabulary, 16, 2, 7));
  Predictor by_ids(by_blocks.shared_network());
  const std::vector<double> want = by_blocks.predict(blocks, 1);
  EXPECT_EQ(by_ids.predict(frontend, ids, starts, 1), want) << file;
  EXPECT_EQ(by_ids.predict(frontend, ids, starts, 2), want) << file << ", 2 jobs";
  EXPECT_EQ(by_ids.stats().instructions, 2 * ids.size());
}

TEST(InstructionTable, SplitsTheSampleAsTheDecoder) { expect_same_as_decoder("bhive-sample.csv"); }
TEST(InstructionTable, SplitsHeldOutBlocksAsTheDecoder) { expect_same_as_decoder("heldout-elf.csv"); }

// Decoding reads an instruction's bytes and nothing after them: each
// instruction of the data decodes alone (exactly its bytes) to the same
// instruction, which is what lets split() find it by its bytes anywhere.
TEST(InstructionTable, InstructionsDecodeFromTheirOwnBytes) {
  block::Decoder decoder;
  for (const std::string file : {"bhive-sample.csv", "heldout-elf.csv"}) {
    for (const block::BasicBlock& block : block::read_blocks(kData + file)) {
      for (std::size_t i = 0; i < block.instructions.size(); ++i) {
        std::size_t end = i + 1 < block.offsets.size() ? block.offsets[i + 1] : block.bytes.size();
        llvm::MCInst inst;
        ASSERT_EQ(decoder.decode_instruction(block.bytes.data() + block.offsets[i], end - block.offsets[i], 0, inst),
                  end - block.offsets[i])
            << block.name << " instruction " << i;
        ASSERT_EQ(block::tokenize_instruction(inst), block::tokenize_instruction(block.instructions[i])) << block.name;
      }
    }
  }
}

TEST(InstructionTable, LeavesUnusualBlocksToTheDecoder) {
  InstructionTable table(block::Vocabulary::build({}));
  std::vector<std::uint32_t> ids{42}, offsets{7};
  auto split = [&](const std::string& h) {
    std::vector<std::uint8_t> bytes = h.empty() ? std::vector<std::uint8_t>{} : hex(h);
    return table.split(bytes.data(), bytes.size(), &ids, &offsets);
  };
  EXPECT_TRUE(split("4801d8"));                         // add %rbx, %rax
  EXPECT_FALSE(split(""));                              // empty
  EXPECT_FALSE(split("4801d8ff"));                      // does not decode at offset 3
  EXPECT_FALSE(split("4801d8c3"));                      // trailing return: dropped with a note by the decoder
  EXPECT_FALSE(split("75fe4801d8"));                    // branch inside
  EXPECT_FALSE(split("4801d8eb00"));                    // known bytes, then a trailing jump
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{42, 0}));  // failures leave what was there
  EXPECT_EQ(offsets, (std::vector<std::uint32_t>{7, 0}));
  EXPECT_TRUE(split("f048832801"));  // lock subq $1, (%rax): one instruction, lock included
  EXPECT_TRUE(split("f048832801"));
  EXPECT_EQ(table.byte_hits(), 1u);
  ids.resize(2);
  offsets.resize(2);
  EXPECT_TRUE(split("4801d84801d8"));
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{42, 0, 0, 0}));
  EXPECT_EQ(offsets, (std::vector<std::uint32_t>{7, 0, 0, 3}));
  EXPECT_EQ(table.byte_hits(), 3u);
  EXPECT_EQ(table.new_instructions(), 2u);
}

// Only plain instructions are found by their bytes: known control flow in a
// decoded block is never trusted by split().
TEST(InstructionTable, EncodesDecodedBlocks) {
  block::Decoder decoder;
  InstructionTable table(block::Vocabulary::build({}));
  block::BasicBlock block = decoder.decode_block(hex("4801d84889c3"), "b", {}, nullptr);
  std::vector<std::uint32_t> ids;
  table.encode(block, &ids);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(table.token_hits() + table.new_instructions(), 2u);
  std::vector<std::uint32_t> offsets, again;
  std::vector<std::uint8_t> bytes = hex("4889c34801d8");
  ASSERT_TRUE(table.split(bytes.data(), bytes.size(), &again, &offsets));
  EXPECT_EQ(again, (std::vector<std::uint32_t>{ids[1], ids[0]}));
  EXPECT_EQ(table.byte_hits(), 2u);
}

}  // namespace
}  // namespace surrogate::runtime
