#include "util/input_error.h"

#include <algorithm>

namespace surrogate {

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

InputError::InputError(const InputPosition& where, const std::string& what)
    : std::runtime_error(format_position(where) + ": " + what), where_(where), reason_(what) {}

RowError row_error(const InputError& e) {
  // The reason up to its particulars: a quote, a colon, a parenthesis or " at ".
  const std::string& r = e.reason();
  std::size_t end = r.find_first_of(":('");
  end = std::min(end, r.find(" at "));
  std::string kind = r.substr(0, end);
  while (!kind.empty() && kind.back() == ' ') kind.pop_back();
  return {e.what(), kind.empty() ? r : kind};
}

}  // namespace surrogate
