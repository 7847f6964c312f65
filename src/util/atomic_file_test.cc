#include "util/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace surrogate::util {
namespace {

// A temporary left by a writer that died (kill -9) goes with the next write
// of the same file; a live writer's stays.
TEST(AtomicFile, RemovesTemporariesOfDeadWritersOnly) {
  const std::string dir = ::testing::TempDir() + "atomic_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string out = dir + "/out.csv";
  // PID 2^22 + 1 is above Linux's pid_max limit (2^22): no such process.
  const std::string dead = out + ".tmp.4194305", live = out + ".tmp." + std::to_string(::getppid());
  write_file_atomically(dead, "");
  write_file_atomically(live, "");
  write_file_atomically(out, "rows\n");
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_EQ(read_file(out), "rows\n");
  std::filesystem::remove_all(dir);
}

TEST(AtomicFile, ADirectoryIsNotReadAsAFile) {
  try {
    read_file(::testing::TempDir());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace surrogate::util
