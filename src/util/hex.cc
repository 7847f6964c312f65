#include "util/hex.h"

namespace surrogate {

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text, std::size_t* error_offset,
                                                   std::string* error) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (nibble(text[i]) < 0) {
      *error_offset = i;
      unsigned char c = static_cast<unsigned char>(text[i]);
      *error = (c >= 32 && c < 127) ? std::string("not a hex digit: '") + text[i] + "'"
                                    : "not a hex digit: byte 0x" + to_hex({c});
      return std::nullopt;
    }
  }
  if (text.size() % 2) {
    *error_offset = text.size();
    *error = "odd number of hex digits (" + std::to_string(text.size()) + ")";
    return std::nullopt;
  }
  std::vector<std::uint8_t> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
  return out;
}

}  // namespace surrogate
