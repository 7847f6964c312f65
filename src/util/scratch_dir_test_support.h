// A test's scratch directory: made under the test temporary directory,
// named per process (ctest runs tests in parallel processes), and removed
// with everything in it when it goes, so `make test` leaves nothing behind.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace surrogate::util {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix)
      : owner_(::getpid()), dir_(::testing::TempDir() + prefix + std::to_string(owner_)) {
    std::filesystem::create_directories(dir_);
  }
  // Only the process that made it removes it: a forked child that exits
  // (a test of a killed job, a worker) leaves it to its parent.
  ~ScratchDir() {
    if (::getpid() != owner_) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  pid_t owner_;
  std::string dir_;
};

}  // namespace surrogate::util
