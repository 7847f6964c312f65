// InputError: bad user input, reported as one line naming the input and the
// position: "FILE:LINE: byte OFFSET: what is wrong".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace surrogate {

// Position of a fault inside an input. line is 1-based (0 = not line-oriented);
// byte is the 0-based byte offset within the line's field or the file
// (npos = unknown).
struct InputPosition {
  std::string input;
  std::size_t line = 0;
  std::size_t byte = static_cast<std::size_t>(-1);
};

class InputError : public std::runtime_error {
 public:
  InputError(const InputPosition& where, const std::string& what);
  const InputPosition& where() const { return where_; }
  // The reason alone, without the position.
  const std::string& reason() const { return reason_; }

 private:
  InputPosition where_;
  std::string reason_;
};

std::string format_position(const InputPosition& where);

}  // namespace surrogate
