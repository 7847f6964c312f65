// Gzip-compressed input (".csv.gz"), recognised by its magic bytes and
// inflated with zlib.
#pragma once

#include <string>

namespace surrogate::util {

// True when `data` starts with the gzip magic (1f 8b).
bool is_gzip(const std::string& data);
// The inflated content of gzip `data` (every member, as gzip -d does).
// Throws std::runtime_error "NAME: bad gzip data: reason".
std::string gunzip(const std::string& data, const std::string& name);

}  // namespace surrogate::util
