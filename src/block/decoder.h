// Decoder: x86-64 machine code -> BasicBlock, with LLVM MC's disassembler.
//
// A block is straight-line code: a control-flow instruction (branch, call,
// return) is allowed only last, and is dropped there (as BHive's blocks have
// none), with a note. Undecodable bytes, control flow inside the block and
// blocks that end up empty are InputErrors. Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "util/input_error.h"

namespace llvm {
class MCContext;
class MCDisassembler;
}  // namespace llvm

namespace surrogate::block {

// Maps a byte offset inside a block's machine code to a position in the input:
// input byte = start.byte + scale * block offset (scale 2 for hex text, 1 for
// binary files).
struct BytePosition {
  util::InputPosition start;
  unsigned scale = 2;
  util::InputPosition at(std::size_t block_offset) const;
};

// The largest block, in bytes of machine code, from any input: BHive's are
// under 1 KiB; megabytes of code (a huge CSV field, `.rept 100000` in
// assembly) are no basic block and would keep the simulator busy for hours.
inline constexpr std::size_t kMaxBlockBytes = 65536;

class Decoder {
 public:
  Decoder();
  ~Decoder();

  // Decodes `bytes` as one basic block named `name`. Notes (e.g. a dropped
  // trailing branch) are appended to *notes when notes is not null.
  BasicBlock decode_block(std::vector<std::uint8_t> bytes, const std::string& name, const BytePosition& where,
                          std::vector<std::string>* notes) const;

  // Decodes one instruction at the start of `bytes` (address used for
  // PC-relative targets). Returns its size, or 0 if the bytes do not decode.
  // A lock prefix is part of the instruction it locks (flag
  // kLockPrefixFlag), as LLVM's assembler gives it.
  std::size_t decode_instruction(const std::uint8_t* bytes, std::size_t size, std::uint64_t address,
                                 llvm::MCInst& inst) const;

  // True for branches, calls, returns and anything else that writes RIP.
  static bool is_control_flow(const llvm::MCInst& inst);

 private:
  std::unique_ptr<llvm::MCContext> context_;
  std::unique_ptr<llvm::MCDisassembler> disassembler_;
  unsigned lock_prefix_opcode_ = ~0u;  // LOCK_PREFIX
};

}  // namespace surrogate::block
