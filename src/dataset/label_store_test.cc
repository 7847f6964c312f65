#include "dataset/label_store.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "dataset/split.h"
#include "util/atomic_file.h"
#include "util/input_error.h"

namespace surrogate::dataset {
namespace {

std::string temp(const std::string& name) {
  return ::testing::TempDir() + "label_store_" + std::to_string(getpid()) + "_" + name;
}

LabelSet sample() {
  LabelSet s;
  s.description = "llvm-mca-19 haswell";
  s.blocks.push_back({{0x48, 0x01, 0xd8}, 100.5f, "tensorflow", 0});
  s.blocks.push_back({{0x31, 0xc0}, std::nanf(""), "", 0});
  s.blocks.push_back({{0x8b, 0x44, 0x8b, 0x10}, 250.f, "openblas-dgemm;eigen-matmat", 0});
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
    EXPECT_EQ(a.blocks[i].parameter_set, b.blocks[i].parameter_set);
  }
  EXPECT_EQ(a.parameter_layout, b.parameter_layout);
  EXPECT_EQ(a.has_parameter_sets() ? a.parameter_sets : std::vector<ParameterSet>{},
            b.has_parameter_sets() ? b.parameter_sets : std::vector<ParameterSet>{});
}

// The same block under two parameter sets (tune's data): each row keeps its set.
LabelSet parameterized() {
  LabelSet s = sample();
  s.parameter_layout = "HW 81819 fields 0123456789abcdef";
  s.parameter_sets = {{}, {{{3, 5.f}, {7, 0.f}}}, {{{3, 4.f}}}};
  s.blocks.push_back({{0x48, 0x01, 0xd8}, 120.f, "tensorflow", 1});
  s.blocks.push_back({{0x48, 0x01, 0xd8}, 110.f, "tensorflow", 2});
  return s;
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

TEST(LabelStore, RowsCarryParameterSets) {
  std::string path = temp("parameterized.bin");
  write_labels(path, parameterized());
  LabelSet back = read_labels(path);
  expect_same(parameterized(), back);
  EXPECT_EQ(back.blocks[4].parameter_set, 2u);
  EXPECT_EQ(back.parameter_sets[1].values[0], (std::pair<std::uint32_t, float>{3, 5.f}));
  // Without parameter sets the store stays version 1, byte for byte.
  write_labels(path, sample());
  EXPECT_EQ(util::read_file(path).substr(8, 4), std::string("\x01\0\0\0", 4));
  EXPECT_THROW(write_labels(temp("parameterized.csv"), parameterized()), std::invalid_argument);
  LabelSet bad = parameterized();
  bad.blocks[0].parameter_set = 9;
  EXPECT_THROW(write_labels(path, bad), std::invalid_argument);
  std::filesystem::remove(path);
}

// A header claiming more rows than the bytes can hold fails before
// allocating (a 50-byte store claiming 50,000,000 rows used to take 3 GB).
TEST(LabelStore, HeaderCountsAreBoundedByTheBytes) {
  std::string path = temp("lying.bin");
  const std::string header = R"({"labels":"","rows":50000000})";
  std::string data("SRGLABEL", 8);
  const std::uint32_t version = 1, size = static_cast<std::uint32_t>(header.size());
  data.append(reinterpret_cast<const char*>(&version), 4);
  data.append(reinterpret_cast<const char*>(&size), 4);
  data += header;
  const std::uint32_t crc = static_cast<std::uint32_t>(
      ::crc32(0, reinterpret_cast<const unsigned char*>(data.data()), static_cast<unsigned>(data.size())));
  data.append(reinterpret_cast<const char*>(&crc), 4);
  util::write_file_atomically(path, data);
  try {
    read_labels(path);
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("header claims 50000000 rows"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(LabelStore, CorruptOrTruncatedStoreIsAClearError) {
  std::string path = temp("corrupt.bin");
  write_labels(path, sample());
  std::string data = util::read_file(path);
  std::string flipped = data;
  flipped[30] ^= 1;
  util::write_file_atomically(path, flipped);
  try {
    read_labels(path);
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  util::write_file_atomically(path, data.substr(0, data.size() - 7));
  EXPECT_THROW(read_labels(path), util::InputError);
  std::filesystem::remove(path);
}

// A CSV row that cannot be read is left out and named (file:line:col:);
// the other rows are kept.
TEST(LabelStore, BadCsvRowsAreNamedAndTheOthersKept) {
  std::string path = temp("bad.csv");
  util::write_file_atomically(path, "hex,throughput,sources\n4801d8,100,a\n4801d8,abc,b\n4801d,5,c\n4801d9,,d\n");
  LabelSet set = read_labels(path);
  ASSERT_EQ(set.blocks.size(), 2u);
  EXPECT_EQ(set.blocks[0].source, "a");
  EXPECT_EQ(set.blocks[1].source, "d");
  EXPECT_FALSE(set.blocks[1].labelled());
  ASSERT_EQ(set.unreadable_rows.size(), 2u);
  EXPECT_EQ(set.unreadable_rows[0].message, path + ":3:8: throughput is not a non-negative number: 'abc'");
  EXPECT_EQ(set.unreadable_rows[1].message, path + ":4:6: odd number of hex digits (5)");
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
}  // namespace surrogate::dataset
