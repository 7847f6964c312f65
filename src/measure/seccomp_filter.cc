#include "measure/seccomp_filter.h"

#include <asm/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace surrogate::measure {
namespace {

void install_code_range_filter(uint64_t begin, uint64_t end) {
  const uint32_t ip_lo = offsetof(struct seccomp_data, instruction_pointer);
  const uint32_t ip_hi = ip_lo + 4;
  const uint32_t b_hi = static_cast<uint32_t>(begin >> 32), b_lo = static_cast<uint32_t>(begin);
  const uint32_t e_hi = static_cast<uint32_t>(end >> 32), e_lo = static_cast<uint32_t>(end);
  // Instruction i jumps to absolute targets t: offset = t - (i + 1).
  // 10 = trap, 11 = allow.
  struct sock_filter prog[] = {
      /*0*/ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_hi),
      /*1*/ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, b_hi, 5 - 2, 0),   // ip_hi > b_hi: ip > begin
      /*2*/ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b_hi, 0, 11 - 3),  // ip_hi < b_hi: allow
      /*3*/ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_lo),
      /*4*/ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, b_lo, 0, 11 - 5),  // ip < begin: allow
      /*5*/ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_hi),
      /*6*/ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, e_hi, 11 - 7, 0),  // ip_hi > e_hi: allow
      /*7*/ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, e_hi, 0, 10 - 8),  // ip_hi < e_hi: trap
      /*8*/ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_lo),
      /*9*/ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, e_lo, 11 - 10, 10 - 10),  // ip >= end: allow
      /*10*/ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      /*11*/ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = {static_cast<unsigned short>(sizeof(prog) / sizeof(prog[0])), prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(std::string("prctl(NO_NEW_PRIVS): ") + std::strerror(errno));
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0)
    throw std::runtime_error(std::string("seccomp code-range filter: ") + std::strerror(errno));
}

void install_allowlist(const SeccompPolicy& p) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) throw std::runtime_error("seccomp_init failed");
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  auto allow = [&](int nr) {
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  };
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(p.job_fd)));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(p.result_fd)));
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pwrite64), 1,
                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(p.code_fd)));
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  // mprotect without PROT_EXEC: glibc grows a thread arena's heap with it (the
  // worker is forked from a pool thread).
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  // getrusage of the calling thread: its context-switch counts tell the timer
  // that another task ran on its CPU inside a repetition (block_timer.cc).
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrusage), 1, SCMP_A0(SCMP_CMP_EQ, RUSAGE_THREAD));
  // arch_prctl(ARCH_SET_FS or ARCH_SET_GS): on hosts without FSGSBASE,
  // FaultGuard moves FS between the harness's TLS and block memory, and resets
  // GS, with it. Blocks cannot call it: the code-range filter traps every
  // system call made from their code.
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1, SCMP_A0(SCMP_CMP_EQ, ARCH_SET_FS));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 2, SCMP_A0(SCMP_CMP_EQ, ARCH_SET_GS),
                          SCMP_A1(SCMP_CMP_EQ, 0));
  allow(SCMP_SYS(munmap));
  allow(SCMP_SYS(brk));
  allow(SCMP_SYS(madvise));
  allow(SCMP_SYS(rt_sigreturn));
  allow(SCMP_SYS(rt_sigprocmask));
  allow(SCMP_SYS(exit));
  allow(SCMP_SYS(exit_group));
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) throw std::runtime_error(std::string("seccomp allowlist: ") + std::strerror(-rc));
}

}  // namespace

void install_seccomp_filter(const SeccompPolicy& policy) {
  // The code-range filter first: it lets the harness make the prctl/seccomp
  // calls that load the allowlist.
  install_code_range_filter(policy.code_begin, policy.code_end);
  install_allowlist(policy);
}

}  // namespace surrogate::measure
