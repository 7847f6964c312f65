// Programs whose blocks judge the surrogates from outside: independent
// checks run the product on blocks of openssl, sqlite and redis (and their
// libraries libcrypto, libssl, libsqlite3), so those never enter training.
// Training drops rows attributed to them (BHive's `sources` column);
// tools/make_training_set.sh also drops blocks that occur in the installed
// libraries, attributed or not.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "dataset/source_family.h"

namespace surrogate::dataset {

inline constexpr std::array<std::string_view, 3> kHeldOutPrograms = {"openssl", "sqlite", "redis"};

// True when any of the ';'-separated sources ("redis-server;gzip") is of a
// held-out program (by source_family) or names one of its libraries.
inline bool from_held_out_program(const std::string& sources) {
  std::size_t start = 0;
  while (start <= sources.size()) {
    std::size_t end = sources.find(';', start);
    if (end == std::string::npos) end = sources.size();
    const std::string one = sources.substr(start, end - start);
    const std::string family = source_family(one);
    for (std::string_view p : kHeldOutPrograms)
      if (family == p) return true;
    for (std::string_view lib : {"libcrypto", "libssl", "libsqlite3", "redis"})
      if (one.find(lib) != std::string::npos) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace surrogate::dataset
