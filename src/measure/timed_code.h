// The timed function generated around a basic block, as raw x86-64 bytes.
//
//   prologue  save callee-saved GPRs and rsp, set MXCSR (denormal policy),
//             fninit, lfence; rdtsc -> RunContext::tsc_start; lfence
//   loop      (64-byte aligned) lfence; rsp <- block_rsp; vzeroupper;
//             xmm0-15 <- RunContext::vector_init; the 15 other GPRs <- init value;
//             the block `unroll` times; dec loop_counter; jnz loop
//   epilogue  rdtscp; lfence -> RunContext::tsc_end; restore rsp, DF, x87,
//             upper vector state, MXCSR and callee-saved GPRs; ret
//
// The function takes no argument (SysV `void f()`): it reaches its RunContext
// RIP-relatively, so code and context must lie within +-2 GiB (code_buffer.h).
// Each iteration starts from the same registers behind an lfence, so it is one
// BHive-style run of `unroll` copies; the loop overhead (lfence, register
// reset, counter, branch) is the same for both unroll factors and cancels in
// (L_b - L_a) / (b - a). Pages touched do not depend on the loop count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace surrogate::measure {

struct TimedCodeSpec {
  std::span<const uint8_t> block;  // the block's machine code, executed `unroll` times
  uint32_t unroll = 1;
  uint64_t init_value = 0;  // loaded into every GPR but rsp at each iteration
  bool has_avx = false;     // emit vzeroupper (only when the CPU has AVX)
};

// Bytes of the timed function for `spec`, to be executed at address `code_address`
// with its RunContext at `context_address`.
std::vector<uint8_t> emit_timed_code(const TimedCodeSpec& spec, uint64_t code_address, uint64_t context_address);

// Upper bound on the bytes emit_timed_code adds around the unrolled block.
inline constexpr size_t kTimedCodeOverhead = 1024;

}  // namespace surrogate::measure
