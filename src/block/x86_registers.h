// The general-purpose registers of x86-64 as LLVM numbers them, in one place:
// which of the 16 registers (encoding order: rax, rcx, rdx, rbx, rsp, rbp,
// rsi, rdi, r8-r15) an operand names, and which of its bits.
#pragma once

#include <optional>

namespace surrogate::block {

struct GprPart {
  unsigned index = 0;  // 0-15, encoding order
  unsigned bits = 64;  // 8, 16, 32 or 64
  unsigned shift = 0;  // 8 for ah, ch, dh, bh (bits 8-15); else 0
};

// The part of a general-purpose register LLVM register `reg` is; nullopt
// for any other register (rip, segment, vector, flags, none).
std::optional<GprPart> gpr_part(unsigned reg);

// LLVM's register number for GPR `index` at `bits` (8: the low byte).
unsigned gpr_register(unsigned index, unsigned bits);

// The index (0-15) of xmm register `reg`; nullopt for any other register.
std::optional<unsigned> xmm_index(unsigned reg);

}  // namespace surrogate::block
