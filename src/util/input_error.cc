#include "util/input_error.h"

namespace surrogate {

std::string format_position(const InputPosition& where) {
  std::string s = where.input.empty() ? "<input>" : where.input;
  if (where.line) s += ":" + std::to_string(where.line);
  if (where.byte != static_cast<std::size_t>(-1)) s += ": byte " + std::to_string(where.byte);
  return s;
}

InputError::InputError(const InputPosition& where, const std::string& what)
    : std::runtime_error(format_position(where) + ": " + what), where_(where), reason_(what) {}

}  // namespace surrogate
