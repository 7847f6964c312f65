// CodeBuffer: executable memory for generated timed code, W^X by construction.
//
// A memfd is mapped twice: a writable view (where code is written) and an
// executable, read-only view (where it runs), so no page is ever writable and
// executable at once and no mprotect is needed after the seccomp filter is in
// place. The RunContext page sits right after the executable view, within
// rip-relative reach. The buffer is split into `slots` equal slots so several
// timed functions (calibration, canary, block at two unroll factors) coexist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

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
  // Calls the timed function in slot `i`.
  void run(size_t i) const;

  RunContext& context() { return *context_; }
  uint64_t context_address() const { return reinterpret_cast<uint64_t>(context_); }
  // [begin, end) of the executable view: system calls from there are blocked.
  uint64_t exec_begin() const { return reinterpret_cast<uint64_t>(exec_); }
  uint64_t exec_end() const { return exec_begin() + slots_ * slot_bytes_; }

 private:
  size_t slots_, slot_bytes_;
  int fd_ = -1;
  uint8_t* writable_ = nullptr;  // RW view
  uint8_t* exec_ = nullptr;      // RX view, followed by the context page
  RunContext* context_ = nullptr;
};

}  // namespace surrogate::measure
