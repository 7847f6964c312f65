// The worker's seccomp policy, installed after setup and before any block runs.
//
// Two filters (the kernel applies the stricter verdict):
//  1. any system call made from generated code, i.e. with its instruction
//     pointer in [code_begin, code_end), traps (SIGSYS), whatever its number;
//  2. an allowlist of what the harness itself needs afterwards: read on the job
//     pipe, write on the result pipe and stderr, pwrite on the code memfd
//     (code_buffer.h), mmap without PROT_EXEC (pages mapped on fault, malloc),
//     mprotect without PROT_EXEC (malloc), munmap, brk, madvise, rt_sigreturn,
//     rt_sigprocmask, getrusage of the thread, exit, exit_group; anything else, and a system call of a
//     foreign ABI (int 0x80), kills the worker at once
//     (SECCOMP_RET_KILL_PROCESS): outside generated code only a harness gone
//     wrong makes one.
#pragma once

#include <cstdint>

namespace surrogate::measure {

struct SeccompPolicy {
  uint64_t code_begin = 0, code_end = 0;  // the executable view of the code buffer
  int job_fd = -1;                        // the only fd the worker reads
  int result_fd = -1;                     // the only fds the worker writes: this and stderr
  int code_fd = -1;                       // the code memfd, written with pwrite
};

// Throws std::runtime_error when the kernel refuses the filters.
void install_seccomp_filter(const SeccompPolicy& policy);

}  // namespace surrogate::measure
