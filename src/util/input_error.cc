#include "util/input_error.h"

#include <algorithm>

namespace surrogate::util {

std::string format_position(const InputPosition& where) {
  constexpr std::size_t kUnknown = static_cast<std::size_t>(-1);
  std::string s = where.input.empty() ? "<input>" : where.input;
  if (where.line) {
    s += ":" + std::to_string(where.line);
    if (where.byte != kUnknown) s += ":" + std::to_string(where.byte + 1);
  } else if (where.byte != kUnknown) {
    s += ": byte " + std::to_string(where.byte);
  }
  return s;
}

// `text` on one line: input quoted in a message (an assembler's complaint
// about a line holding a vertical tab, a file name with a newline) must not
// break the one-line promise. Tabs stay.
static std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

InputError::InputError(const InputPosition& where, const std::string& what)
    : std::runtime_error(one_line(format_position(where) + ": " + what)), where_(where), reason_(one_line(what)) {}

RowError row_error(const InputError& e) {
  // The reason up to its particulars: a quote, a colon, a parenthesis or " at ".
  const std::string& r = e.reason();
  std::size_t end = r.find_first_of(":('");
  end = std::min(end, r.find(" at "));
  std::string kind = r.substr(0, end);
  while (!kind.empty() && kind.back() == ' ') kind.pop_back();
  return {e.what(), kind.empty() ? r : kind};
}

}  // namespace surrogate::util
