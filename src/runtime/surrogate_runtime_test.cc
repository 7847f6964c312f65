// The public API as another program uses it: one header, one library.
#include "runtime/surrogate_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "block/block_reader.h"
#include "block/tokenizer.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/input_error.h"
#include "util/scratch_dir_test_support.h"

namespace surrogate::runtime {
namespace {

std::string write_tiny_model() {
  static const util::ScratchDir scratch("surrogate_runtime_");
  const std::string& dir = scratch.dir();
  block::Vocabulary vocabulary({"<pad>", "<unk>", "ADD64rr", "<S>", "<D>", "<E>", "RAX", "RBX", "EFLAGS"});
  ModelFile m = random_model_file(vocabulary, 8, 2, 21);
  m.header["metadata"] = {{"cpu", "haswell"}};
  write_model_file(dir + "/tiny.srg", m);
  return dir + "/tiny.srg";
}

TEST(SurrogateRuntime, LoadsAModelAndPredictsHex) {
  Surrogate model(write_tiny_model());
  EXPECT_EQ(model.width(), 8);
  EXPECT_EQ(model.depth(), 2);
  EXPECT_EQ(model.cpu(), "haswell");
  EXPECT_EQ(model.metadata_json(), R"({"cpu":"haswell"})");
  double t = model.predict_hex("4801d8");  // add rax, rbx
  EXPECT_GT(t, 0.0);
  EXPECT_TRUE(std::isfinite(t));
  EXPECT_EQ(model.predict_hex("4801D8"), t);
  const std::vector<std::uint8_t> add{0x48, 0x01, 0xd8};
  EXPECT_EQ(model.predict_bytes(add), t);
  // Two instructions differ from one.
  EXPECT_NE(model.predict_hex("4801d84801d8"), t);
  EXPECT_EQ(model.stats().blocks, 4u);
  EXPECT_EQ(model.stats().embeddings_computed, 1u);
}

// The batch calls give the single calls' values, in order, on any number of
// threads; a bad block is named by its index.
TEST(SurrogateRuntime, PredictsBatchesWithTheSingleValues) {
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(50);
  std::vector<std::string> hex;
  std::vector<std::vector<std::uint8_t>> bytes;
  for (const block::BasicBlock& b : blocks) {
    hex.push_back(b.hex());
    bytes.push_back(b.bytes);
  }
  Surrogate single(write_tiny_model()), batched(write_tiny_model());
  std::vector<double> two_threads = batched.predict_hex(hex, 2);
  ASSERT_EQ(two_threads.size(), blocks.size());
  EXPECT_EQ(batched.predict_bytes(bytes, 1), two_threads);
  for (std::size_t i = 0; i < blocks.size(); ++i) EXPECT_EQ(single.predict_hex(hex[i]), two_threads[i]) << i;
  hex[7] = "48zz";
  try {
    batched.predict_hex(hex);
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("block 8"), std::string::npos) << e.what();
  }
}

// Machine code through the instruction table gives the values of the
// decoded blocks, bit for bit, also for a block whose trailing branch is
// dropped (left to the decoder); instructions seen before are not decoded
// again.
TEST(SurrogateRuntime, HexGivesTheDecodedBlocksValues) {
  Surrogate model(write_tiny_model());
  Predictor reference(read_model_file(write_tiny_model()));
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(300);
  for (const block::BasicBlock& b : blocks) ASSERT_EQ(model.predict_hex(b.hex()), reference.predict(b)) << b.hex();
  for (const block::BasicBlock& b : blocks) ASSERT_EQ(model.predict_hex(b.hex()), reference.predict(b)) << "again";
  EXPECT_EQ(model.predict_hex("4801d8c3"), model.predict_hex("4801d8"));  // add; ret
}

// A batch with bad blocks: each bad block gets its reason and the byte it
// is at, every other block the value of the single call.
TEST(SurrogateRuntime, PredictEachKeepsGoingPastBadBlocks) {
  Surrogate model(write_tiny_model()), single(write_tiny_model());
  const std::vector<std::vector<std::uint8_t>> blocks = {
      {0x48, 0x01, 0xd8},              // add rax, rbx
      {0x48, 0x01, 0xd8, 0xff, 0xff},  // add; then bytes that are no instruction
      {},                              // empty
      {0x75, 0xfa, 0x48, 0x01, 0xd8},  // jne inside the block
      {0x48, 0x0f, 0xaf, 0xc0}};       // imul rax, rax
  BlockBatch batch;
  for (const auto& b : blocks) batch.add(b);
  ASSERT_EQ(batch.size(), blocks.size());
  std::vector<Prediction> each = model.predict_each(batch, 2);
  ASSERT_EQ(each.size(), blocks.size());
  EXPECT_TRUE(each[0].ok());
  EXPECT_EQ(each[0].throughput, single.predict_bytes(blocks[0]));
  EXPECT_EQ(each[4].throughput, single.predict_bytes(blocks[4]));
  EXPECT_NE(each[1].error.find("cannot decode"), std::string::npos) << each[1].error;
  EXPECT_EQ(each[1].error_offset, 3u);
  EXPECT_NE(each[2].error.find("empty block"), std::string::npos) << each[2].error;
  EXPECT_NE(each[3].error.find("control flow inside the block"), std::string::npos) << each[3].error;
  EXPECT_EQ(each[3].error_offset, 0u);
  EXPECT_TRUE(each[4].ok());
}

TEST(SurrogateRuntime, BadInputsThrow) {
  Surrogate model(write_tiny_model());
  EXPECT_THROW(model.predict_hex("48zz"), util::InputError);
  EXPECT_THROW(model.predict_hex("ffff"), util::InputError);  // not an instruction
  EXPECT_THROW(model.predict_hex(""), util::InputError);      // no instruction
  EXPECT_THROW(Surrogate("/nonexistent/model.srg"), std::runtime_error);
}

}  // namespace
}  // namespace surrogate::runtime
