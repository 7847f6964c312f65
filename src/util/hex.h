// Hex text <-> machine-code bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace surrogate::util {

// Lower-case hex, no separators (BHive's spelling).
std::string to_hex(const std::vector<std::uint8_t>& bytes);
// The same appended to `out` (no allocation beyond out's growth).
void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t count);

// Parses hex digits (either case; no separators, no 0x). On failure returns
// nullopt and sets *error_offset to the 0-based offset of the offending
// character (for odd length: the length) and *error to the reason.
std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text, std::size_t* error_offset,
                                                   std::string* error);
// The same into *out (its capacity reused); false on failure.
bool parse_hex(std::string_view text, std::vector<std::uint8_t>* out, std::size_t* error_offset, std::string* error);

}  // namespace surrogate::util
