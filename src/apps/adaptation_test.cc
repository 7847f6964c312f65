// Adaptation: a base model fine-tuned on "measured" throughputs it has never
// seen comes much closer to them on blocks it did not train on; bad input
// fails with one line and writes nothing.
#include "apps/adaptation.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "block/block_reader.h"
#include "block/tokenizer.h"
#include "runtime/model_file.h"
#include "util/atomic_file.h"
#include "util/scratch_dir_test_support.h"

namespace surrogate::apps {
namespace {

struct Scratch : util::ScratchDir {
  Scratch() : util::ScratchDir("surrogate_adapt_") {}
};

// 400 sample blocks "measured" as 40 cycles per instruction + 60, a host
// unlike the random base model; a random base model over their vocabulary.
void write_inputs(const Scratch& s, const std::string& measured, const std::string& base) {
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(400);
  std::string csv = "hex,throughput\n";
  std::vector<block::InstructionTokens> seen;
  for (const block::BasicBlock& b : blocks) {
    csv += b.hex() + "," + std::to_string(60 + 40 * b.instructions.size()) + "\n";
    for (block::InstructionTokens& t : block::tokenize_block(b)) seen.push_back(std::move(t));
  }
  util::write_file_atomically(s.path(measured), csv);
  util::write_file_atomically(s.path(measured) + ".meta.json", R"({"cpu": {"identity": "test-host"}})");
  runtime::write_model_file(
      s.path(base), runtime::random_model_file(block::Vocabulary::build(seen), 8, 1, 3, "llvm19-x86-dependencies"));
}

// Options adapting scratch file `base` on `measured` into `output`.
AdaptOptions options_for(const Scratch& s, const std::string& measured, const std::string& base,
                         const std::string& output) {
  AdaptOptions o;
  o.measured = s.path(measured);
  o.base_models = {s.path(base)};
  o.output = s.path(output);
  return o;
}

TEST(Adaptation, FineTuningComesCloserToTheMeasurements) {
  Scratch s;
  write_inputs(s, "m.csv", "base.srg");
  AdaptOptions o = options_for(s, "m.csv", "base.srg", "adapted.srg");
  o.training.learning_rate = 1e-2;
  o.training.max_epochs = 15;
  o.training.batch_size = 16;
  std::ostringstream log;
  const AdaptResult r = adapt(o, log, nullptr);
  ASSERT_FALSE(r.interrupted);
  EXPECT_EQ(r.host, "test-host");
  EXPECT_EQ(r.train_blocks + r.validation_blocks + r.test_blocks, 400u);
  ASSERT_GT(r.test_blocks, 20u);
  EXPECT_EQ(r.base.blocks, r.test_blocks);
  EXPECT_LT(r.adapted.mape, 0.25) << log.str();
  EXPECT_LT(r.adapted.mape, r.base.mape / 3) << log.str();
  // The random base model names no CPU: no llvm-mca comparison.
  EXPECT_EQ(r.simulator.blocks, 0u);

  const nlohmann::json m = runtime::read_model_file(o.output).metadata();
  EXPECT_EQ(m["adapted"]["host"], "test-host");
  EXPECT_EQ(m["adapted"]["base_model"], o.base_models[0]);
  EXPECT_NEAR(m["adapted"]["test"]["adapted"]["mape"].get<double>(), r.adapted.mape, 1e-12);
  EXPECT_EQ(runtime::read_model_file(o.output).frontend, "llvm19-x86-dependencies");
}

// Measurements without a .meta.json name no host; adapting a model already
// adapted to a host keeps that host in the new model's metadata.
TEST(Adaptation, MeasurementsWithoutMetadataKeepTheBaseModelsHost) {
  Scratch s;
  write_inputs(s, "m.csv", "base.srg");
  AdaptOptions o = options_for(s, "m.csv", "base.srg", "first.srg");
  o.training.max_epochs = 1;
  std::ostringstream log;
  ASSERT_EQ(adapt(o, log, nullptr).host, "test-host");
  std::filesystem::copy_file(s.path("m.csv"), s.path("bare.csv"));  // no bare.csv.meta.json
  o.measured = s.path("bare.csv");
  o.base_models = {s.path("first.srg")};
  o.output = s.path("second.srg");
  EXPECT_EQ(adapt(o, log, nullptr).host, "test-host") << log.str();
  EXPECT_EQ(runtime::read_model_file(o.output).metadata()["adapted"]["host"], "test-host");
  // A base adapted to no host leaves it empty.
  o.base_models = {s.path("base.srg")};
  o.output = s.path("third.srg");
  EXPECT_EQ(adapt(o, log, nullptr).host, "");
}

TEST(Adaptation, BadInputFailsAndWritesNothing) {
  Scratch s;
  write_inputs(s, "m.csv", "base.srg");
  util::write_file_atomically(s.path("empty.csv"), "hex,throughput\n4801d8,\n");
  util::write_file_atomically(s.path("corrupt.srg"), "SRGMODEL not really");
  auto error_of = [&](const std::string& measured, const std::string& base, const std::string& out) {
    const AdaptOptions o = options_for(s, measured, base, out);
    std::ostringstream log;
    try {
      adapt(o, log, nullptr);
    } catch (const std::exception& e) {
      EXPECT_FALSE(std::filesystem::exists(o.output)) << out;
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("empty.csv", "base.srg", "a.srg").find("no measured block"), std::string::npos);
  EXPECT_NE(error_of("m.csv", "corrupt.srg", "a.srg").find("corrupt.srg"), std::string::npos);
  EXPECT_NE(error_of("missing.csv", "base.srg", "a.srg").find("missing.csv"), std::string::npos);
  EXPECT_NE(error_of("m.csv", "base.srg", "a.model").find("must end in .srg"), std::string::npos);
}

}  // namespace
}  // namespace surrogate::apps
