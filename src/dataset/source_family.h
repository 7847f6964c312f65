// The source application family of a BHive block, from its `sources` column:
// the first listed source, up to its first '-' ("openblas-dgemm;eigen-matmat"
// -> "openblas"; "gzip-compress" -> "gzip"). tools/make_sample.py stratifies
// by the same rule.
#pragma once

#include <string>

namespace surrogate::dataset {

inline std::string source_family(const std::string& sources) {
  std::string first = sources.substr(0, sources.find(';'));
  return first.substr(0, first.find('-'));
}

}  // namespace surrogate::dataset
