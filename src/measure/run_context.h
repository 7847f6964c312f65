// RunContext: the data page shared between the harness (C++) and the generated
// timed code, which reaches it RIP-relatively (see timed_code.h).
//
// Invariants: the layout is fixed (the generated code hard-codes the offsets
// through offsetof); the page lives within +-2 GiB of the code (code_buffer.h).
// Each code buffer has its own context page. The block's (next to the
// block's code) can be found, read and written by the block, so it never
// holds an address of the harness: code with a block in it ends in a trap
// and the kernel hands control back (fault_guard.h), and the harness
// rewrites every input field before each run. Only the harness's own code
// (calibration, canaries), in a buffer at a random address the block cannot
// find, returns with `ret` through saved_rsp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace surrogate::measure {

struct alignas(64) RunContext {
  // Written by the harness before a run.
  uint64_t iterations = 1;     // loop count M of the unrolled body (>= 1)
  uint64_t block_rsp = 0;      // rsp given to the block at the top of every iteration
  uint32_t block_mxcsr = 0;    // MXCSR during the run (denormal policy)
  uint32_t harness_mxcsr = 0;  // MXCSR restored by returning code
  uint64_t reserved0[4] = {};
  // 64-byte aligned: 16 bytes loaded into each of xmm0-15 (the init value twice).
  alignas(64) uint64_t vector_init[2] = {};
  // Scratch of the generated code.
  alignas(64) uint64_t loop_counter = 0;  // counts down from `iterations`
  uint64_t saved_rsp = 0;                 // harness rsp (returning code only, see above)
  // Results of a run, in TSC ticks (low and high halves written separately).
  uint32_t tsc_start_lo = 0, tsc_start_hi = 0;
  uint32_t tsc_end_lo = 0, tsc_end_hi = 0;

  uint64_t ticks() const {
    uint64_t start = (uint64_t{tsc_start_hi} << 32) | tsc_start_lo;
    uint64_t end = (uint64_t{tsc_end_hi} << 32) | tsc_end_lo;
    return end - start;
  }
};

static_assert(sizeof(RunContext) <= 4096, "RunContext must fit its page");

}  // namespace surrogate::measure
