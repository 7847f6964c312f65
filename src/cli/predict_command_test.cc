// surrogate predict as a user runs it: rows in input order, clean failures.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_test_support.h"
#include "runtime/model_file.h"
#include "runtime/surrogate_runtime.h"

namespace {

namespace fs = std::filesystem;
using namespace surrogate;
using namespace surrogate::cli_test;

runtime::ModelFile tiny_model() {
  block::Vocabulary vocabulary({"<pad>", "<unk>", "ADD64rr", "MOV64rr", "<S>", "<D>", "<E>", "RAX", "RBX", "EFLAGS"});
  return runtime::random_model_file(vocabulary, 8, 2, 31);
}

std::string tiny_model_path() {
  static const std::string path = [] {
    std::string p = dir() + "/tiny.srg";
    runtime::write_model_file(p, tiny_model());
    return p;
  }();
  return path;
}

const char* kBlocks[] = {"4801d8", "4889d84801d8", "4801d84801d8", "4889c3"};

std::string blocks_csv() {
  std::string csv = "hex,source\n";
  for (const char* hex : kBlocks) csv += std::string(hex) + ",test\n";
  return write("in.csv", csv);
}

TEST(PredictCli, WritesHexThroughputInInputOrder) {
  Result r = run("predict --model " + tiny_model_path() + " --jobs=1 " + blocks_csv());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::istringstream rows(r.out);
  std::string row;
  std::getline(rows, row);
  EXPECT_EQ(row, "hex,throughput,source");  // the input's own columns follow BHive's two
  runtime::Surrogate model(tiny_model_path());
  for (const char* hex : kBlocks) {
    ASSERT_TRUE(std::getline(rows, row));
    std::size_t comma = row.find(',');
    ASSERT_NE(comma, std::string::npos) << row;
    EXPECT_EQ(row.substr(0, comma), hex);
    EXPECT_EQ(row.substr(row.rfind(',')), ",test") << row;
    double want = model.predict_hex(hex);
    EXPECT_NEAR(std::stod(row.substr(comma + 1)), want, 1e-4 + 1e-9 * want) << row;
  }
  EXPECT_FALSE(std::getline(rows, row));
}

TEST(PredictCli, ThreadsOutputFileAndStats) {
  std::string in = blocks_csv(), out = dir() + "/out.csv";
  Result one = run("predict --model " + tiny_model_path() + " --jobs=1 " + in);
  Result two = run("predict --model " + tiny_model_path() + " --jobs=2 --stats " + in + " -o " + out);
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(two.out, "");
  EXPECT_EQ(slurp(out), one.out);
  EXPECT_EQ(lines(two.err), 2u) << two.err;  // cache figures, then where the time went
  EXPECT_NE(two.err.find("4 blocks, 6 instructions, cache hits"), std::string::npos) << two.err;
  EXPECT_NE(two.err.find("\nsurrogate predict: model load "), std::string::npos) << two.err;
}

// One line on stderr naming the file, non-zero exit, no output file.
void expect_clean_failure(const std::string& args, const std::string& expected) {
  cli_test::expect_clean_failure(args, dir() + "/failed.csv", expected);
}

// CSV rows the instruction table splits, a row it leaves to the decoder (a
// trailing ret, dropped, still in the row's hex), assembly text: rows in
// input order, each the model's value for the block.
TEST(PredictCli, EveryInputFormatAndTheDecoderFallback) {
  std::string csv = write("mixed.csv", "hex\n4801d8\n4801d8c3\n4889c3\n");
  std::string att = write("block.s", "addq %rbx, %rax\nmovq %rax, %rbx\n");
  Result r = run("predict --model " + tiny_model_path() + " --jobs=1 " + csv + " " + att);
  ASSERT_EQ(r.status, 0) << r.err;
  runtime::Surrogate model(tiny_model_path());
  std::istringstream rows(r.out);
  std::string row;
  std::getline(rows, row);
  for (const char* hex : {"4801d8", "4801d8c3", "4889c3", "4801d84889c3"}) {
    ASSERT_TRUE(std::getline(rows, row)) << r.out;
    std::size_t comma = row.find(',');
    EXPECT_EQ(row.substr(0, comma), hex) << r.out;
    double want = model.predict_hex(hex);
    EXPECT_NEAR(std::stod(row.substr(comma + 1)), want, 1e-4 + 1e-9 * want) << row;
  }
  EXPECT_FALSE(std::getline(rows, row));
  expect_clean_failure("predict --model " + tiny_model_path() + " " + write("empty.csv", "hex\n"),
                       "empty.csv: no blocks found");
}

TEST(PredictCli, BadModelIsOneLineAndNoOutput) {
  std::string in = blocks_csv();
  std::string bytes = slurp(tiny_model_path());
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] ^= 1;
  std::string corrupt_path = write("corrupt.srg", corrupt);
  expect_clean_failure("predict --model " + corrupt_path + " " + in,
                       "surrogate predict: error: " + corrupt_path + ": checksum mismatch (file corrupt)");
  std::string truncated_path = write("truncated.srg", bytes.substr(0, bytes.size() - 10));
  expect_clean_failure("predict --model " + truncated_path + " " + in, truncated_path + ": truncated at byte");
  expect_clean_failure("predict --model " + in + " " + in, in + ": not a surrogate model file (bad magic");
  expect_clean_failure("predict --model " + dir() + "/missing.srg " + in, "missing.srg: cannot open");
  // Bad blocks with a good model: the input's line and byte.
  expect_clean_failure("predict --strict --model " + tiny_model_path() + " " + write("bad.csv", "4801d8\n48zz\n"),
                       "bad.csv:2:3");
}

// Bad rows without --strict: empty results and reasons, the other rows
// predicted as alone, exit 1.
TEST(PredictCli, BadRowsAreSkippedAndTheOthersGoOn) {
  const std::string in = write("rows.csv", "4801d8\n4801d\n4801d875fa4801d8\n480fafc0\n4801d8ffff\n");
  Result r = run("predict --model " + tiny_model_path() + " " + in);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(in + ":2:6: odd number of hex digits"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(in + ":3:7: control flow inside the block"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(in + ":5:7: cannot decode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("surrogate predict: 3 of 5 rows skipped"), std::string::npos) << r.err;
  Result good = run("predict --model " + tiny_model_path() + " " + write("good.csv", "4801d8\n480fafc0\n"));
  ASSERT_EQ(good.status, 0) << good.err;
  std::istringstream g(good.out);
  std::string header, first, second;
  std::getline(g, header);
  std::getline(g, first);
  std::getline(g, second);
  EXPECT_EQ(r.out, header + "\n" + first + "\n4801d,\n4801d875fa4801d8,\n" + second + "\n4801d8ffff,\n");
}

}  // namespace
