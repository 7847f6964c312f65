// The timed function generated around a basic block, as raw x86-64 bytes.
//
//   prologue  [returning code: save callee-saved GPRs and rsp] set MXCSR
//             (denormal policy), fninit; lfence; rdtsc ->
//             RunContext::tsc_start; lfence (trapping code starts with FS
//             base = init value: FaultGuard::run sets it before the jump)
//   loop      (64-byte aligned) lfence; rsp <- block_rsp; vzeroupper;
//             [AVX-512: zmm16-31 and k0-k7 <- 0]
//             xmm0-15 <- RunContext::vector_init; the 15 other GPRs <- init value;
//             the block `unroll` times; dec loop_counter; jnz loop
//   epilogue  lfence; rdtsc; lfence -> RunContext::tsc_end; then
//             trapping code: int3 (kTimedCodeEnd);
//             returning code: restore rsp, DF, x87, upper vector state,
//             MXCSR and callee-saved GPRs; ret
//
// Code that runs a block must trap (the default): it ends at a known
// address, and FaultGuard's handler jumps back into the harness, which
// restores its registers (sigsetjmp), DF, x87, upper vector state, MXCSR, FS
// and GS. Neither rdtscp nor FSGSBASE is needed: some hypervisors hide both. So nothing the block can read or write
// holds a harness address (no saved rsp, no return address). The trap costs a signal (~0.9 us for int3 in a KVM guest;
// ud2 cost 7.5 us there: KVM intercepts #UD), so the harness's own code (calibration, canaries: 10 of the 12 runs of a
// repetition) returns with `ret` instead, from a buffer the block cannot
// find. Code reaches its RunContext RIP-relatively, so code and context must
// lie within +-2 GiB (code_buffer.h).
// Each iteration starts from the same registers behind an lfence, so it is one
// BHive-style run of `unroll` copies; the loop overhead (lfence, register
// reset, counter, branch) is the same for both unroll factors and cancels in
// (L_b - L_a) / (b - a). Pages touched do not depend on the loop count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace surrogate::measure {

// A RIP-relative displacement in a block: the disp32 at bytes [offset,
// offset + 4) of the block's code, relative to the end of its instruction,
// instruction_end bytes into the block. The same two numbers as
// block::RipRelativeField (which finds them by decoding): the measure layer
// and its worker do not link the block layer or LLVM.
struct RipDisplacement {
  uint32_t offset = 0;
  uint32_t instruction_end = 0;
  uint32_t alignment = 1;  // bytes the target must be a multiple of, or the instruction faults (16, 32, 64)
};

struct TimedCodeSpec {
  std::span<const uint8_t> block;  // the block's machine code, executed `unroll` times
  uint32_t unroll = 1;
  uint64_t init_value = 0;  // loaded into every GPR but rsp at each iteration (+ register_stride x r)
  bool has_avx = false;     // emit vzeroupper (only when the CPU has AVX)
  bool has_avx512 = false;  // also zero zmm16-31 and k0-k7 (only when the CPU has AVX-512F)
  // End with `ret` (harness-authored code only), not the trap.
  bool returns = false;
  // GPR number r starts at init_value + r x register_stride (Options::MemoryLayout).
  uint64_t register_stride = 0;
  // The block's RIP-relative displacements. Each unrolled copy gets its own
  // so that every copy reaches the same addresses as the first, as every
  // iteration of the real loop does (unpatched, copy k's globals would lie
  // k x block bytes further on: a new line every few copies, pointers read
  // across the init value's 8-byte pattern, no chain through a global);
  // the first copy's targets are moved by up to 7 bytes so that most of
  // them are 8-byte aligned, as a compiler lays out globals; where that
  // leaves a target that must be aligned (RipDisplacement::alignment)
  // misaligned, by up to 63 bytes so that the most such targets are aligned,
  // then the most 8-byte aligned (measure v10; before, such a block faulted).
  std::span<const RipDisplacement> rip_displacements = {};
};

// Bytes of the timed function for `spec`, to be executed at address `code_address`
// with its RunContext at `context_address`.
std::vector<uint8_t> emit_timed_code(const TimedCodeSpec& spec, uint64_t code_address, uint64_t context_address);

// The last instruction of every timed function (int3): reaching it ends a
// run. Not ud2: KVM intercepts #UD (to emulate vmcall/vmmcall), and a ud2
// trap cost 7.5 us against 0.9 us for int3 on a Sapphire Rapids guest.
inline constexpr uint8_t kTimedCodeEnd[] = {0xCC};

// Upper bound on the bytes emit_timed_code adds around the unrolled block.
inline constexpr size_t kTimedCodeOverhead = 1024;

}  // namespace surrogate::measure
