// InputError: bad user input, reported as one line naming the input and the
// position, LLVM's way: "FILE:LINE:COL: what is wrong" (both 1-based) for
// text, "FILE: byte OFFSET: what is wrong" for binary files.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace surrogate::util {

// Position of a fault inside an input. line is 1-based (0 = not line-oriented);
// byte is the 0-based byte offset within the line (printed as the 1-based
// column), or within the file when line is 0 (npos = unknown).
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

// A row of a batch input that could not be read, kept so the other rows go on.
struct RowError {
  std::string message;  // one line with the position: "f.csv:3:7: odd number of hex digits (5)"
  std::string kind;     // the fault without its particulars, for summaries: "odd number of hex digits"
};
RowError row_error(const InputError& e);

}  // namespace surrogate::util
