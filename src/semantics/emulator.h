// Emulator: runs a basic block's machine code on Unicorn (QEMU's x86-64
// translator) from a MachineState and reports the state it ends in.
//
// Memory: every page the block touches is mapped on first touch with the
// state's initial bytes (machine_state.h); at most kMaxPages pages. The
// code lives at kCodeAddress, far from the addresses states put in
// registers. Each byte the block writes is reported with its final value.
// Unicorn 2.0 (QEMU 5) has no AVX: a block with VEX or EVEX instructions
// fails with "the emulator cannot run ...". Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "semantics/machine_state.h"

namespace surrogate::semantics {

struct Outcome {
  bool ok = false;
  std::string fault;  // when !ok: one line, e.g. "memory fault at 0x..." or "the emulator cannot run ..."
  MachineState state;
  std::map<std::uint64_t, std::uint8_t> written;  // final byte at every address the block wrote
};

class Emulator {
 public:
  static constexpr std::uint64_t kCodeAddress = 0x7ff000000000;
  static constexpr std::size_t kMaxCodeBytes = 1 << 16;
  static constexpr std::size_t kMaxPages = 64;

  Emulator();  // throws std::runtime_error if Unicorn cannot start
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  Outcome run(std::span<const std::uint8_t> code, const MachineState& start);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace surrogate::semantics
