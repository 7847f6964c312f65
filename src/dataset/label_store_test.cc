#include "dataset/label_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "dataset/split.h"
#include "util/atomic_file.h"
#include "util/input_error.h"

namespace surrogate {
namespace {

std::string temp(const std::string& name) {
  return ::testing::TempDir() + "label_store_" + std::to_string(getpid()) + "_" + name;
}

LabelSet sample() {
  LabelSet s;
  s.description = "llvm-mca-19 haswell";
  s.blocks.push_back({{0x48, 0x01, 0xd8}, 100.5f, "tensorflow"});
  s.blocks.push_back({{0x31, 0xc0}, std::nanf(""), ""});
  s.blocks.push_back({{0x8b, 0x44, 0x8b, 0x10}, 250.f, "openblas-dgemm;eigen-matmat"});
  return s;
}

void expect_same(const LabelSet& a, const LabelSet& b) {
  ASSERT_EQ(a.blocks.size(), b.blocks.size());
  for (size_t i = 0; i < a.blocks.size(); ++i) {
    EXPECT_EQ(a.blocks[i].bytes, b.blocks[i].bytes);
    EXPECT_EQ(a.blocks[i].labelled(), b.blocks[i].labelled());
    if (a.blocks[i].labelled()) {
      EXPECT_EQ(a.blocks[i].throughput, b.blocks[i].throughput);
    }
    EXPECT_EQ(a.blocks[i].source, b.blocks[i].source);
  }
}

TEST(LabelStore, BinaryAndCsvRoundTrip) {
  for (const char* name : {"labels.bin", "labels.csv"}) {
    std::string path = temp(name);
    write_labels(path, sample());
    LabelSet back = read_labels(path);
    expect_same(sample(), back);
    std::filesystem::remove(path);
  }
}

TEST(LabelStore, CorruptOrTruncatedStoreIsAClearError) {
  std::string path = temp("corrupt.bin");
  write_labels(path, sample());
  std::string data = read_file(path);
  std::string flipped = data;
  flipped[30] ^= 1;
  write_file_atomically(path, flipped);
  try {
    read_labels(path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  write_file_atomically(path, data.substr(0, data.size() - 7));
  EXPECT_THROW(read_labels(path), InputError);
  std::filesystem::remove(path);
}

TEST(LabelStore, BadCsvNamesLineAndByte) {
  std::string path = temp("bad.csv");
  write_file_atomically(path, "hex,throughput\n4801d8,100\n4801d8,abc\n");
  try {
    read_labels(path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 3u);
    EXPECT_EQ(e.where().byte, 7u);
  }
  std::filesystem::remove(path);
}

TEST(Split, DeterministicAndNearEightyTenTen) {
  std::vector<std::uint8_t> b = {0x48, 0x01, 0xd8};
  EXPECT_EQ(split_of(b), split_of(std::vector<std::uint8_t>{0x48, 0x01, 0xd8}));
  size_t counts[3] = {};
  for (unsigned i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> x = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), 0x90};
    ++counts[static_cast<int>(split_of(x))];
  }
  EXPECT_NEAR(counts[0] / 20000.0, 0.8, 0.02);
  EXPECT_NEAR(counts[1] / 20000.0, 0.1, 0.02);
  EXPECT_NEAR(counts[2] / 20000.0, 0.1, 0.02);
}

}  // namespace
}  // namespace surrogate
