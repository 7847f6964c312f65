// InstructionBytes: one instruction's machine code (x86: at most 15 bytes)
// as a 16-byte hash key, and mix64, the bit mixer of the runtime's hash
// tables (the instruction table, the predictor's cache, the token trie).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace surrogate::runtime {

// MurmurHash3's 64-bit finaliser: every bit of x reaches every bit of the
// result, the low ones (a table's slot index) included.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

struct InstructionBytes {
  std::uint64_t lo = 0, hi = 0;  // the bytes in order; hi's top byte is the length, so 0 is no instruction

  // bytes[0, length), length 1..15.
  static InstructionBytes of(const std::uint8_t* bytes, std::size_t length) {
    unsigned char raw[16] = {};
    std::memcpy(raw, bytes, length);
    raw[15] = static_cast<unsigned char>(length);
    InstructionBytes k;
    std::memcpy(&k.lo, raw, 8);
    std::memcpy(&k.hi, raw + 8, 8);
    return k;
  }
  bool empty() const { return hi == 0; }
  bool operator==(const InstructionBytes&) const = default;
};

struct InstructionBytesHash {
  std::size_t operator()(const InstructionBytes& k) const {
    return static_cast<std::size_t>(mix64(k.lo ^ k.hi * 0x9E3779B97F4A7C15ull));
  }
};

}  // namespace surrogate::runtime
