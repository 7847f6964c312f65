// Where this program's executable lies: the directory its siblings
// (surrogate-nn, surrogate-mca) and the shipped models are found from.
#pragma once

#include <filesystem>

namespace surrogate::util {

// The directory of /proc/self/exe, or an empty path if it cannot be read.
std::filesystem::path executable_directory();

}  // namespace surrogate::util
