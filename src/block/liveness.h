// Liveness of registers over machine code whose control flow is known (an
// ELF section's linear sweep): which registers and flags each instruction
// leaves live, so a rewrite of a block need only keep those (issue 17).
//
// Backward dataflow to the least fixed point over the section's
// instructions: live-in = uses + (live-out - kills), live-out = the union of
// the successors' live-in. Sound, not exact: whatever is unknown counts as
// live. The System V x86-64 ABI stands for code outside the section:
//   call:   reads rdi rsi rdx rcx r8 r9 rax r10 rsp xmm0-7; clobbers rax rcx
//           rdx rsi rdi r8-r11, xmm0-15 and the flags; falls through.
//   ret:    rax rdx xmm0 xmm1 (results), rbx rbp r12-r15 rsp (callee-saved).
//   jmp to a function start (a tail call): the call's arguments and the
//           callee-saved registers, plus what the target's own code reads.
//   indirect jmp, a target outside the section or inside an instruction,
//   running off the end, any other control flow (syscall, ud2, ...): all.
// A write kills a register only if it sets all of what is tracked: 64- and
// 32-bit writes of a general-purpose register (8/16-bit writes keep the
// rest); VEX/EVEX writes of a vector register (legacy SSE may keep the upper
// half of an xmm); the flags only for instructions that set all six status
// flags unconditionally (add, sub, and, or, xor, cmp, test, neg, adc, sbb,
// ... but not inc/dec, shifts, adcx/adox, string compares).
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "block/basic_block.h"
#include "llvm/MC/MCInst.h"

namespace surrogate::block {

struct CodeInstruction {
  std::uint64_t address = 0;  // in strictly increasing order
  std::uint32_t size = 0;     // bytes
  const llvm::MCInst* inst = nullptr;
  // Its bytes hold a relocation (a relocatable object's branch to a symbol
  // holds 0 until linked): a branch's target is then unknown.
  bool relocated = false;
};

// Whether an instruction (by LLVM opcode name) sets all six status flags
// whatever its operands: add, sub, and, or, xor, cmp, test, neg, adc, sbb
// (not inc/dec, shifts, adcx/adox, string compares).
bool sets_all_flags(std::string_view opcode_name);

// For each instruction of `code`, the registers live just after it.
// `function_starts`: addresses where functions begin (a jmp there is a tail call).
std::vector<LiveRegisters> live_after_each(std::span<const CodeInstruction> code,
                                           const std::set<std::uint64_t>& function_starts);

}  // namespace surrogate::block
