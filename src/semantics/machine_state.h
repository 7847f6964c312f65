// MachineState: the architectural state a block starts from or ends in, as
// far as equivalence checking looks at it.
//
// Registers in x86 encoding order (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
// r8-r15); flags are the six status flags of RFLAGS (CF PF AF ZF SF OF);
// xmm0-15 as two 64-bit halves (low first). Memory is not listed byte by
// byte: every page a block touches starts with bytes derived from
// (memory_seed, address), so two runs from one state see the same memory;
// with pointer_memory every aligned 8-byte word holds a pointer into the
// same region instead, so blocks that chase pointers run on.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace surrogate::semantics {

inline constexpr std::uint64_t kStatusFlags = 0x8D5;  // CF(0) PF(2) AF(4) ZF(6) SF(7) OF(11)

struct MachineState {
  std::array<std::uint64_t, 16> gpr{};
  std::uint64_t flags = 0;  // status flags only (kStatusFlags)
  std::array<std::array<std::uint64_t, 2>, 16> xmm{};
  std::uint64_t memory_seed = 0;
  bool pointer_memory = false;
};

// Where test states' pointers point: [kPointerBase, kPointerBase + 8 MiB).
inline constexpr std::uint64_t kPointerBase = 0x10000000;

// The initial byte at `address` of a state with this memory.
std::uint8_t initial_memory_byte(const MachineState& state, std::uint64_t address);

// "rax", "r8", ... for register index 0-15 (encoding order).
const char* gpr_name(int index);

// splitmix64's finalizer: a well-mixed 64-bit function of z (test states
// and initial memory both draw from it).
std::uint64_t mix64(std::uint64_t z);

// "0x1f" for messages.
std::string hex_value(std::uint64_t v);

}  // namespace surrogate::semantics
