#include "semantics/machine_state.h"

#include <cstdio>

namespace surrogate::semantics {

std::uint8_t initial_memory_byte(const MachineState& state, std::uint64_t address) {
  // splitmix64 of (seed, 8-byte word), one byte of it: cheap, well mixed.
  std::uint64_t z = mix64(state.memory_seed ^ ((address >> 3) * 0x9E3779B97F4A7C15ull));
  if (state.pointer_memory) z = kPointerBase + (z % (1 << 20)) * 8;  // an aligned pointer into the region
  return static_cast<std::uint8_t>(z >> (8 * (address & 7)));
}

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string hex_value(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* gpr_name(int index) {
  static const char* const kNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  return index >= 0 && index < 16 ? kNames[index] : "?";
}

}  // namespace surrogate::semantics
