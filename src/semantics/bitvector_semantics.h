// BitvectorSemantics: what an instruction of the integer and SSE-move
// subset of x86-64 computes, as Z3 formulas over the 16 general-purpose
// registers, the six status flags, xmm0-15 and memory (issue 17's proofs
// of equivalence).
//
// The subset: integer ALU (add, adc, sub, sbb, and, or, xor, cmp, test, inc,
// dec, neg, not), shifts and rotates by an immediate, by 1 or by cl, imul
// (two and three operands), mov, movzx/movsx, lea, cmovcc, setcc, xchg of
// registers, push/pop of 64 bits, cbw/cwde/cdqe/cwd/cdq/cqo, bswap; the SSE
// moves and logic of 128 bits (movaps/movups/movdqa/movdqu/movapd/movupd,
// movq/movd between GPRs, memory and xmm, pxor/xorps/xorpd, pand/andps/
// andpd, por/orps/orpd); the instructions without effect on this state (nop
// forms, endbr). Register and memory operands (an array of bytes: every
// address may alias every other): base, index, scale and displacement,
// rip-relative, %fs and %gs. All operand widths, ah-dh included; 32-bit
// writes zero the upper half, 8- and 16-bit writes keep the rest. Anything
// else (other vector instructions, VEX and EVEX, control, string, lock/rep
// prefixes, x87) is outside: apply() says so and the caller falls back to
// tests.
//
// Flags the manual leaves undefined (AF after a logical op, OF after a shift
// by more than 1, SF/ZF/AF/PF after imul, ...) are an uninterpreted function
// of the instruction and its inputs: unknown, but the same for the same
// computation, as on any one (deterministic) CPU. A proof thus holds whatever
// value a CPU gives them. The semantics are tested against Unicorn.
#pragma once

#include <z3++.h>

#include <string>
#include <vector>

#include "llvm/MC/MCInst.h"
#include "semantics/machine_state.h"

namespace surrogate::semantics {

// The status flags in the order SymbolicState keeps them, with their RFLAGS bits.
enum Flag : unsigned { kCF, kPF, kAF, kZF, kSF, kOF, kFlagCount };
inline constexpr unsigned kFlagBit[kFlagCount] = {0, 2, 4, 6, 7, 11};
inline constexpr const char* kFlagName[kFlagCount] = {"CF", "PF", "AF", "ZF", "SF", "OF"};

// A memory access: the addresses of its first and last byte; `aligned`
// when the instruction faults unless the address is a multiple of 16.
struct MemoryAccess {
  z3::expr first, last;
  bool aligned = false;
};

struct SymbolicState {
  std::vector<z3::expr> gpr;           // 16 bit-vectors of 64 bits, encoding order
  std::vector<z3::expr> flags;         // kFlagCount Booleans
  std::vector<z3::expr> xmm;           // 16 bit-vectors of 128 bits (the ymm/zmm bits above: never written here)
  z3::expr memory;                     // an array from 64-bit addresses to bytes
  z3::expr code_address;               // where the block's first byte is (rip-relative addresses)
  z3::expr fs_base, gs_base;           // the bases of %fs: and %gs: addresses
  std::vector<MemoryAccess> accesses;  // every load and store so far, in order
};

class BitvectorSemantics {
 public:
  explicit BitvectorSemantics(z3::context& z3) : z3_(z3) {}

  // Free constants rax..r15, CF..OF, xmm0..xmm15, memory, the code address
  // and the segment bases: any state (of a block at any address).
  SymbolicState any_state() const;
  // The state's values as numerals (xmm too); memory holds the state's initial bytes
  // (initial_memory_byte) at `addresses` and 0 elsewhere; the code is at
  // Emulator::kCodeAddress and the segment bases are 0, as on the emulator.
  SymbolicState state_of(const MachineState& state, const std::vector<std::uint64_t>& addresses = {}) const;
  // The values of `s` read back where they are numerals: the GPRs and xmm
  // registers (any that is not a numeral reads 0) and the flags that are numerals;
  // `known_flags` gets their RFLAGS bits (an undefined flag is not known).
  MachineState values_of(const SymbolicState& s, std::uint64_t* known_flags) const;

  // Applies `inst`, whose next instruction is `next_offset` bytes from the
  // block's start (rip-relative addresses count from there), to `s`.
  // Returns "" when it is in the subset, else why not (one phrase, e.g.
  // "the instruction MUL64r"; `s` is then unspecified).
  std::string apply(const llvm::MCInst& inst, SymbolicState& s, std::uint64_t next_offset = 0) const;

 private:
  z3::context& z3_;
};

}  // namespace surrogate::semantics
