// FaultGuard: runs generated code so that its faults become results, not crashes.
//
// Installs handlers (on an alternate signal stack: the block's rsp is not the
// harness's) for SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGSYS. A run
// ends when the timed code reaches its final int3 (timed_code.h): the handler
// jumps back to run() (siglongjmp), which restores the harness's registers,
// FS base (its TLS; the block ran with FS on block memory), GS base, DF, x87
// and vector state and MXCSR. During a guarded run:
//  - a SIGSEGV on an unmapped user page, while mapping is allowed, maps that
//    page onto the shared data page (BlockMemory) and resumes the faulting
//    instruction; the run completes but is disturbed (faults() > 0);
//  - any other fault (#GP, #DE, #UD, a blocked system call, a page that cannot
//    be mapped, the page cap) abandons the run with siglongjmp and describes it.
// Outside a guarded run a fault is the harness's own: the process exits at
// once with status kHarnessFaultExit + signal (no system call but exit_group).
// One FaultGuard per process (it owns the signal handlers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace surrogate::measure {

class BlockMemory;
class CodeBuffer;

struct Fault {
  int signal = 0;
  int code = 0;             // siginfo si_code
  uint64_t address = 0;     // faulting data address (SIGSEGV/SIGBUS)
  int syscall_number = -1;  // SIGSYS
  bool page_cap = false;    // the per-block cap on mapped pages was reached
  // One line, e.g. "SIGFPE: integer divide by zero".
  std::string describe() const;
};

inline constexpr int kHarnessFaultExit = 100;

// Whether machine code may read or change the FS or GS base or selector: it
// holds a byte of an FS/GS prefix (64, 65), of rd/wr{fs,gs}base (0F AE), a
// segment load (8E: mov Sreg; 0F A1/A9: pop fs/gs; 0F B4/B5: lfs/lgs).
// Conservative: any such byte anywhere, operand bytes included, counts.
bool may_touch_segment_bases(std::span<const uint8_t> code);

class FaultGuard {
 public:
  FaultGuard(BlockMemory& memory, bool has_avx);
  ~FaultGuard();
  FaultGuard(const FaultGuard&) = delete;
  FaultGuard& operator=(const FaultGuard&) = delete;

  // Runs code slot `slot`. Returns true when it reached its end (possibly
  // after mapping pages: see faults_in_last_run()); false with *fault filled.
  // Trapping code (it ends in int3, timed_code.h) is given `block_fs`, the FS
  // base it runs with: its TLS accesses (%fs:0x28, the stack protector's)
  // reach block memory, not the harness's thread control block. Returning
  // code (harness-authored) is given nothing and runs with the harness's FS.
  // `keeps_segment_bases`: trapping code that can neither read nor change the
  // FS or GS base (may_touch_segment_bases() is false for its block) runs
  // with the harness's FS: no FS switch and no GS reset (three system calls
  // per run on a host without FSGSBASE), and nothing the block can observe.
  bool run(const CodeBuffer& code, size_t slot, bool allow_mapping, Fault* fault,
           std::optional<uint64_t> block_fs = std::nullopt, bool keeps_segment_bases = false);
  // Pages mapped (faults resolved) during the last run.
  size_t faults_in_last_run() const;
};

}  // namespace surrogate::measure
