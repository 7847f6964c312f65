#include "measure/quiet_canary_record.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace surrogate::measure {
namespace {

namespace fs = std::filesystem;

class QuietCanaryRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quiet-canary-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "record.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST_F(QuietCanaryRecordTest, RemembersTheLastRunsAndGivesALowQuantile) {
  auto record = QuietCanaryRecord::at(path_, "measure v8");
  EXPECT_EQ(record.runs(), 0u);
  EXPECT_EQ(record.quiet().zero_idioms, 0);
  std::string why;
  // 20 runs: baselines 2.0 + i/10 (zero idioms) and 1.0 + i/10 (loads); the
  // last 16 (i = 4..19) are kept and their 25th percentile is i = 8 (nearest rank).
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(record.remember({2.0 + i / 10.0, 1.0 + i / 10.0}, &why)) << why;
  auto again = QuietCanaryRecord::at(path_, "measure v8");
  EXPECT_EQ(again.runs(), kRememberedRuns);
  EXPECT_NEAR(again.quiet().zero_idioms, 2.8, 1e-9);
  EXPECT_NEAR(again.quiet().loads, 1.8, 1e-9);
  // A run with an unknown canary is not remembered.
  ASSERT_TRUE(again.remember({0, 1.0}, &why));
  EXPECT_EQ(QuietCanaryRecord::at(path_, "measure v8").runs(), kRememberedRuns);
  // Another method's record is not this one's.
  EXPECT_EQ(QuietCanaryRecord::at(path_, "measure v9").runs(), 0u);
}

TEST_F(QuietCanaryRecordTest, ADamagedFileIsIgnoredAndReplaced) {
  for (const char* text : {"{\"method\": \"measure v8\", \"runs\": [{\"zero_idioms\": \"x\"}, 5, {\"zero_idioms\": "
                           "-1, \"loads\": 2}]}",
                           "{\"method\": \"measure v8\", \"runs\": [", "", "[1e400]"}) {
    std::ofstream(path_) << text;
    auto record = QuietCanaryRecord::at(path_, "measure v8");
    EXPECT_EQ(record.runs(), 0u) << text;
    std::string why;
    ASSERT_TRUE(record.remember({2.0, 1.0}, &why)) << why;
    auto again = QuietCanaryRecord::at(path_, "measure v8");
    EXPECT_EQ(again.runs(), 1u) << text;
    EXPECT_EQ(again.quiet().zero_idioms, 2.0);
  }
}

TEST_F(QuietCanaryRecordTest, LivesInTheStateDirectoryNamedByTheEnvironment) {
  ::setenv("SURROGATE_STATE_DIR", dir_.c_str(), 1);
  QuietCanaryRecord record("some-host", "measure v8");
  EXPECT_EQ(record.path(), (dir_ / "measure-canaries-some-host.json").string());
  std::string why;
  ASSERT_TRUE(record.remember({2.0, 1.0}, &why)) << why;
  EXPECT_TRUE(fs::exists(record.path()));
  ::setenv("SURROGATE_STATE_DIR", "", 1);  // set and empty: no record
  QuietCanaryRecord none("some-host", "measure v8");
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.remember({2.0, 1.0}, &why));
  ::unsetenv("SURROGATE_STATE_DIR");
  ::setenv("XDG_STATE_HOME", (dir_ / "xdg").c_str(), 1);
  EXPECT_EQ(QuietCanaryRecord("h", "m").path(), (dir_ / "xdg" / "surrogate" / "measure-canaries-h.json").string());
  ::setenv("SURROGATE_STATE_DIR", "", 1);
}

}  // namespace
}  // namespace surrogate::measure
