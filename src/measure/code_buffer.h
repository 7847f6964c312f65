// CodeBuffer: executable memory for generated timed code, W^X by construction.
//
// A memfd mapped once, executable and read-only; code is written into it with
// pwrite on the memfd, never through a writable mapping: no page is ever
// writable and executable at once, and no writable view of the code exists
// for a block to find and patch (a block rewriting the calibration code would
// falsify every later result). The RunContext page sits right after the
// executable view, within rip-relative reach. Code and context lie at a
// random address (not next to other mappings, where the kernel would put
// them), so code in one buffer cannot find another buffer. The buffer is
// split into `slots` equal slots so several timed functions coexist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "measure/run_context.h"

namespace surrogate::measure {

class CodeBuffer {
 public:
  // slot_bytes is rounded up to whole pages. Throws std::system_error on failure.
  CodeBuffer(size_t slots, size_t slot_bytes);
  ~CodeBuffer();
  CodeBuffer(const CodeBuffer&) = delete;
  CodeBuffer& operator=(const CodeBuffer&) = delete;

  size_t slots() const { return slots_; }
  size_t slot_bytes() const { return slot_bytes_; }
  // Address at which slot `i` executes.
  uint64_t slot_address(size_t i) const;
  // Copies `code` into slot `i` (throws std::length_error if it does not fit).
  void write(size_t i, std::span<const uint8_t> code);
  // Bytes last written to slot `i`.
  size_t code_size(size_t i) const { return sizes_.at(i); }
  // Calls the timed function in slot `i` (code that ends in a trap does not
  // return, see timed_code.h: only FaultGuard::run calls this).
  void run(size_t i) const;
  // The memfd the code is written through (the seccomp policy allows pwrite on it).
  int fd() const { return fd_; }

  RunContext& context() { return *context_; }
  uint64_t context_address() const { return reinterpret_cast<uint64_t>(context_); }
  // [begin, end) of the executable view: system calls from there are blocked.
  uint64_t exec_begin() const { return reinterpret_cast<uint64_t>(exec_); }
  uint64_t exec_end() const { return exec_begin() + slots_ * slot_bytes_; }

 private:
  size_t slots_, slot_bytes_;
  int fd_ = -1;
  uint8_t* exec_ = nullptr;  // RX view, followed by the context page
  std::vector<size_t> sizes_;
  RunContext* context_ = nullptr;
};

}  // namespace surrogate::measure
