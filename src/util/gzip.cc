#include "util/gzip.h"

#include <zlib.h>

#include <stdexcept>

namespace surrogate::util {

bool is_gzip(const std::string& data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

std::string gunzip(const std::string& data, const std::string& name) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw std::runtime_error(name + ": cannot start zlib");
  std::string out;
  char buffer[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
    if (status == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // a further gzip member follows
      continue;
    }
    if (status != Z_OK) break;
    if (z.avail_in == 0 && z.avail_out != 0) {
      status = Z_DATA_ERROR;  // input ended inside a member
      break;
    }
  }
  const std::string why = z.msg ? z.msg : "truncated";
  inflateEnd(&z);
  if (status != Z_STREAM_END) throw std::runtime_error(name + ": bad gzip data: " + why);
  return out;
}

}  // namespace surrogate::util
