// MachineCodeEncoder: instructions back to x86-64 machine code (LLVM's
// MCCodeEmitter, every instruction-set feature on): the inverse of the
// decoder, so a rewritten block can be re-encoded, simulated and measured.
//
// Decoded blocks hold canonical opcodes (X86Target::canonical_opcode: e.g.
// XOR32rr_REV -> XOR32rr), so re-encoding a decoded block may give another,
// equivalent encoding of the same instruction (33 d2 -> 31 d2); decoding the
// result gives the same instructions. Not thread-safe (one per thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "llvm/MC/MCInst.h"

namespace llvm {
class MCCodeEmitter;
class MCContext;
}  // namespace llvm

namespace surrogate::block {

class MachineCodeEncoder {
 public:
  MachineCodeEncoder();
  ~MachineCodeEncoder();
  MachineCodeEncoder(const MachineCodeEncoder&) = delete;
  MachineCodeEncoder& operator=(const MachineCodeEncoder&) = delete;

  // Appends the instruction's bytes to *out and returns true; returns false
  // with *why (one line) when it cannot be encoded as concrete bytes (an
  // operand refers to a symbol or label).
  bool encode(const llvm::MCInst& inst, std::vector<std::uint8_t>* out, std::string* why) const;
  // The bytes of a whole sequence; throws std::invalid_argument naming the
  // first instruction that cannot be encoded.
  std::vector<std::uint8_t> encode(std::span<const llvm::MCInst> instructions) const;

 private:
  std::unique_ptr<llvm::MCContext> context_;
  std::unique_ptr<llvm::MCCodeEmitter> emitter_;
};

}  // namespace surrogate::block
