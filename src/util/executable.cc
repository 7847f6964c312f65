#include "util/executable.h"

#include <limits.h>
#include <unistd.h>

#include <string>

namespace surrogate::util {

std::filesystem::path executable_directory() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  return std::filesystem::path(std::string(self, static_cast<std::size_t>(n))).parent_path();
}

}  // namespace surrogate::util
