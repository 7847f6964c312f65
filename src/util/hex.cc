#include "util/hex.h"

namespace surrogate::util {

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t count) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + 2 * count);
  for (std::size_t i = 0; i < count; ++i) {
    out[at++] = kDigits[bytes[i] >> 4];
    out[at++] = kDigits[bytes[i] & 15];
  }
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  std::string s;
  append_hex(s, bytes.data(), bytes.size());
  return s;
}

namespace {
// Hex digit value of every byte, -1 for a non-digit.
struct NibbleTable {
  signed char value[256];
  constexpr NibbleTable() : value{} {
    for (int c = 0; c < 256; ++c)
      value[c] = c >= '0' && c <= '9'   ? static_cast<signed char>(c - '0')
                 : c >= 'a' && c <= 'f' ? static_cast<signed char>(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? static_cast<signed char>(c - 'A' + 10)
                                        : -1;
  }
};
constexpr NibbleTable kNibbles;
int nibble(char c) { return kNibbles.value[static_cast<unsigned char>(c)]; }
}  // namespace

bool parse_hex(std::string_view text, std::vector<std::uint8_t>* out, std::size_t* error_offset, std::string* error) {
  auto fail_at = [&](std::size_t at) {
    *error_offset = at;
    unsigned char c = static_cast<unsigned char>(text[at]);
    *error = (c >= 32 && c < 127) ? std::string("not a hex digit: '") + text[at] + "'"
                                  : "not a hex digit: byte 0x" + to_hex({c});
    return false;
  };
  const std::size_t pairs = text.size() / 2;
  out->resize(pairs);
  std::uint8_t* bytes = out->data();
  const char* digits = text.data();
  for (std::size_t i = 0; i < pairs; ++i) {
    const int hi = nibble(digits[2 * i]), lo = nibble(digits[2 * i + 1]);
    if ((hi | lo) < 0) return fail_at(hi < 0 ? 2 * i : 2 * i + 1);  // one test for both digits
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (text.size() % 2) {
    if (nibble(text.back()) < 0) return fail_at(text.size() - 1);
    *error_offset = text.size();
    *error = "odd number of hex digits (" + std::to_string(text.size()) + ")";
    return false;
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text, std::size_t* error_offset,
                                                   std::string* error) {
  std::vector<std::uint8_t> out;
  if (!parse_hex(text, &out, error_offset, error)) return std::nullopt;
  return out;
}

}  // namespace surrogate::util
