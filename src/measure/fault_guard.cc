#include "measure/fault_guard.h"

#include <asm/hwcap2.h>
#include <asm/prctl.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "measure/block_memory.h"
#include "measure/code_buffer.h"
#include "measure/timed_code.h"

namespace surrogate::measure {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
constexpr size_t kAltStackBytes = 64 * 1024;

// State shared with the signal handler (one guard per process).
BlockMemory* g_memory = nullptr;
sigjmp_buf g_jump;
volatile sig_atomic_t g_armed = 0;
volatile sig_atomic_t g_allow_mapping = 0;
volatile size_t g_faults = 0;
Fault g_fault;  // written by the handler only before siglongjmp
void* g_alt_stack = nullptr;
bool g_has_avx = false;
// FSGSBASE enabled (HWCAP2): FS base by rdfsbase/wrfsbase, and a block may
// change FS and GS itself. Without it the kernel keeps FS and GS bases by
// arch_prctl only (a block cannot call it: its system calls trap), so the
// harness must move FS that way too: a base written by wrfsbase would be
// replaced by the kernel's at the next preemption. (The instructions are #UD,
// or run although hidden: see run().)
bool g_has_fsgsbase = false;
uint64_t g_harness_fs = 0;  // the harness thread's FS base (its TLS), while armed
uint64_t g_block_fs = 0;    // the FS base a trapping run starts with
uint64_t g_end_marker = 0;  // address of the running code's final int3 (kTimedCodeEnd)

// sigsetjmp's value when the timed code reached its end marker.
constexpr int kFinished = 2;

inline uint64_t read_fs_base() {
  uint64_t v;
  asm volatile("rdfsbase %0" : "=r"(v));
  return v;
}
// arch_prctl(ARCH_SET_FS, v) as a raw system call: glibc's wrapper would set
// errno, in TLS, which is what is being moved.
inline void set_fs_by_syscall(uint64_t v) {
  long rc;
  asm volatile("syscall" : "=a"(rc) : "a"(SYS_arch_prctl), "D"(ARCH_SET_FS), "S"(v) : "rcx", "r11", "memory");
}
inline void write_fs_base(uint64_t v) {
  if (g_has_fsgsbase) {
    asm volatile("wrfsbase %0" ::"r"(v) : "memory");
  } else {
    set_fs_by_syscall(v);
  }
}
inline void write_gs_base(uint64_t v) { asm volatile("wrgsbase %0" ::"r"(v) : "memory"); }
// The harness thread's FS base: the x86-64 TLS ABI keeps it at %fs:0 (the
// thread control block points to itself), which needs no FSGSBASE.
inline uint64_t harness_fs_base() {
  uint64_t v;
  asm volatile("mov %%fs:0, %0" : "=r"(v));
  return v;
}

// Jumps to trapping code that keeps the harness's FS base.
[[noreturn]] inline void jump_to(uint64_t target) {
  asm volatile("jmp *%0" ::"r"(target) : "memory");
  __builtin_unreachable();
}

// Jumps to trapping code with FS base `fs`, in one asm statement so that no
// compiled code runs (and touches TLS) in between. The code never returns: it
// ends in the handler, which siglongjmps back to run(). `jmp`, not `call`: the
// code uses its own stack, not the harness's.
[[noreturn]] inline void jump_with_fs(uint64_t target, uint64_t fs) {
  if (g_has_fsgsbase) {
    asm volatile("wrfsbase %0\n\tjmp *%1" ::"r"(fs), "r"(target) : "memory");
  } else {
    asm volatile("syscall\n\tjmp *%%rdx" ::"a"(SYS_arch_prctl), "D"(ARCH_SET_FS), "S"(fs), "d"(target)
                 : "rcx", "r11", "memory");
  }
  __builtin_unreachable();
}

// Runs with whatever FS base the block left (the timed code sets it to block
// memory): the harness's is put back before anything that may touch TLS, so
// this function must not use the stack protector (it reads %fs:0x28).
__attribute__((no_stack_protector)) void on_signal(int sig, siginfo_t* info, void* ucontext) {
  const uint64_t block_fs = g_has_fsgsbase ? read_fs_base() : g_block_fs;
  // (Equal when the running code kept the harness's FS: nothing to write.)
  if (g_armed && block_fs != g_harness_fs) write_fs_base(g_harness_fs);
  // int3 reports no address: the end marker is known by the instruction
  // pointer just past it.
  const auto rip = static_cast<uint64_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.gregs[REG_RIP]);
  if (g_armed && sig == SIGTRAP && info->si_code == SI_KERNEL && rip == g_end_marker + sizeof kTimedCodeEnd) {
    g_armed = 0;
    siglongjmp(g_jump, kFinished);  // the run is complete
  }
  if (!g_armed) {  // a fault of the harness itself: say what, then exit
    if (sig == SIGSYS) {
      char msg[] = "measure worker: blocked system call 000\n";
      int nr = info->si_syscall;
      msg[sizeof msg - 5] = static_cast<char>('0' + nr / 100 % 10);
      msg[sizeof msg - 4] = static_cast<char>('0' + nr / 10 % 10);
      msg[sizeof msg - 3] = static_cast<char>('0' + nr % 10);
      (void)!write(2, msg, sizeof msg - 1);
    }
    _exit(kHarnessFaultExit + sig);
  }
  uint64_t address = reinterpret_cast<uint64_t>(info->si_addr);
  if (sig == SIGSEGV && info->si_code == SEGV_MAPERR && g_allow_mapping) {
    auto r = g_memory->map_page(address);
    if (r == BlockMemory::MapResult::kMapped) {
      g_faults = g_faults + 1;
      if (block_fs != g_harness_fs) write_fs_base(block_fs);
      return;  // resume: the access now hits the shared page
    }
    g_fault.page_cap = (r == BlockMemory::MapResult::kCapReached);
  }
  g_fault.signal = sig;
  g_fault.code = info->si_code;
  g_fault.address = address;
#ifdef SIGSYS
  if (sig == SIGSYS) g_fault.syscall_number = info->si_syscall;
#endif
  g_armed = 0;
  siglongjmp(g_jump, 1);
}

}  // namespace

std::string Fault::describe() const {
  char buf[160];
  switch (signal) {
    case SIGSEGV:
      if (page_cap) {
        std::snprintf(buf, sizeof buf, "SIGSEGV: more pages touched than the cap (at 0x%llx)",
                      static_cast<unsigned long long>(address));
      } else if (code == SI_KERNEL) {
        std::snprintf(buf, sizeof buf, "SIGSEGV: general protection fault (#GP: non-canonical or misaligned access)");
      } else if (code == SEGV_ACCERR) {
        std::snprintf(buf, sizeof buf, "SIGSEGV: access violation at 0x%llx", static_cast<unsigned long long>(address));
      } else {
        std::snprintf(buf, sizeof buf, "SIGSEGV: unmappable address 0x%llx", static_cast<unsigned long long>(address));
      }
      break;
    case SIGBUS:
      std::snprintf(buf, sizeof buf, "SIGBUS: bus error at 0x%llx", static_cast<unsigned long long>(address));
      break;
    case SIGFPE:
      std::snprintf(buf, sizeof buf, "SIGFPE: %s",
                    code == FPE_INTDIV   ? "integer divide by zero"
                    : code == FPE_INTOVF ? "integer overflow"
                                         : "arithmetic exception");
      break;
    case SIGILL:
      std::snprintf(buf, sizeof buf, "SIGILL: illegal instruction");
      break;
    case SIGTRAP:
      std::snprintf(buf, sizeof buf, "SIGTRAP: breakpoint or debug trap");
      break;
    case SIGSYS:
      std::snprintf(buf, sizeof buf, "SIGSYS: system call %d blocked", syscall_number);
      break;
    default:
      std::snprintf(buf, sizeof buf, "signal %d", signal);
  }
  return buf;
}

FaultGuard::FaultGuard(BlockMemory& memory, bool has_avx) {
  if (g_memory) throw std::logic_error("only one FaultGuard per process");
  g_memory = &memory;
  g_has_avx = has_avx;
  g_has_fsgsbase = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
  g_alt_stack = mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g_alt_stack == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap(sigaltstack)");
  stack_t ss{};
  ss.ss_sp = g_alt_stack;
  ss.ss_size = kAltStackBytes;
  if (sigaltstack(&ss, nullptr) != 0) throw std::system_error(errno, std::generic_category(), "sigaltstack");
  struct sigaction sa{};
  sa.sa_sigaction = on_signal;
  // SA_NODEFER: the handler leaves with siglongjmp and the signal mask is never
  // changed, so no sigprocmask system call is needed after a fault.
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int s : kSignals) {
    if (sigaction(s, &sa, nullptr) != 0) throw std::system_error(errno, std::generic_category(), "sigaction");
  }
}

FaultGuard::~FaultGuard() {
  for (int s : kSignals) signal(s, SIG_DFL);
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(g_alt_stack, kAltStackBytes);
  g_memory = nullptr;
}

bool may_touch_segment_bases(std::span<const uint8_t> code) {
  for (size_t i = 0; i < code.size(); ++i) {
    const uint8_t b = code[i];
    if (b == 0x64 || b == 0x65 || b == 0x8E) return true;
    if (b == 0x0F && i + 1 < code.size()) {
      const uint8_t next = code[i + 1];
      if (next == 0xAE || next == 0xA1 || next == 0xA9 || next == 0xB4 || next == 0xB5) return true;
    }
  }
  return false;
}

bool FaultGuard::run(const CodeBuffer& code, size_t slot, bool allow_mapping, Fault* fault,
                     std::optional<uint64_t> block_fs, bool keeps_segment_bases) {
  g_faults = 0;
  g_fault = Fault{};
  g_allow_mapping = allow_mapping;
  g_harness_fs = harness_fs_base();
  g_block_fs = keeps_segment_bases ? g_harness_fs : block_fs.value_or(g_harness_fs);
  g_end_marker = code.slot_address(slot) + code.code_size(slot) - sizeof kTimedCodeEnd;
  const unsigned harness_mxcsr = _mm_getcsr();
  const int how = sigsetjmp(g_jump, 0);
  if (how == 0) {
    g_armed = 1;
    if (keeps_segment_bases) jump_to(code.slot_address(slot));       // ends at g_end_marker
    if (block_fs) jump_with_fs(code.slot_address(slot), *block_fs);  // ends at g_end_marker
    code.run(slot);                                                  // returning code comes back here
    g_armed = 0;
    return true;
  }
  // Back from the handler (the end marker or a fault): the block may have
  // changed any of this; put the harness's state back.
  asm volatile("cld\n\tfninit" ::: "memory");
  if (g_has_avx) asm volatile("vzeroupper" ::: "memory");
  _mm_setcsr(harness_mxcsr);
  // After a block: Linux starts processes with GS base 0; the harness does
  // not use it. A hypervisor may hide FSGSBASE from the kernel while the
  // instructions still run (a Firecracker Zen 5 guest): there the block's
  // wrgsbase works too, and only arch_prctl resets GS for the kernel and the
  // CPU alike. (Harness code leaves GS alone: no system call after it.)
  if (block_fs && !keeps_segment_bases) {
    if (g_has_fsgsbase) {
      write_gs_base(0);
    } else {
      syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL);
    }
  }
  if (how == kFinished) return true;
  if (fault) *fault = g_fault;
  return false;
}

size_t FaultGuard::faults_in_last_run() const { return g_faults; }

}  // namespace surrogate::measure
