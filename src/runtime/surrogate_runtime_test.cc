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

namespace surrogate::runtime {
namespace {

std::string write_tiny_model() {
  std::string dir = ::testing::TempDir() + "surrogate_runtime_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  Vocabulary vocabulary({"<pad>", "<unk>", "ADD64rr", "<S>", "<D>", "<E>", "RAX", "RBX", "EFLAGS"});
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
  std::vector<BasicBlock> blocks = read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(50);
  std::vector<std::string> hex;
  std::vector<std::vector<std::uint8_t>> bytes;
  for (const BasicBlock& b : blocks) {
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
  } catch (const InputError& e) {
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
  std::vector<BasicBlock> blocks = read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(300);
  for (const BasicBlock& b : blocks) ASSERT_EQ(model.predict_hex(b.hex()), reference.predict(b)) << b.hex();
  for (const BasicBlock& b : blocks) ASSERT_EQ(model.predict_hex(b.hex()), reference.predict(b)) << "again";
  EXPECT_EQ(model.predict_hex("4801d8c3"), model.predict_hex("4801d8"));  // add; ret
}

TEST(SurrogateRuntime, BadInputsThrow) {
  Surrogate model(write_tiny_model());
  EXPECT_THROW(model.predict_hex("48zz"), InputError);
  EXPECT_THROW(model.predict_hex("ffff"), InputError);  // not an instruction
  EXPECT_THROW(model.predict_hex(""), InputError);      // no instruction
  EXPECT_THROW(Surrogate("/nonexistent/model.srg"), std::runtime_error);
}

}  // namespace
}  // namespace surrogate::runtime
