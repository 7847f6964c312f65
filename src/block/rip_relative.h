// Where a block's RIP-relative displacements sit in its machine code.
//
// A RIP-relative operand (mod = 00, rm = 101 in its ModRM byte) addresses
// the end of its instruction plus a signed 32-bit displacement, which the
// encoding stores right after the ModRM byte. Code that copies a block to
// another place (the measurement harness unrolls it) needs these fields to
// keep each copy pointing at the same addresses.
#pragma once

#include <cstdint>
#include <vector>

#include "block/basic_block.h"

namespace surrogate::block {

struct RipRelativeField {
  std::uint32_t offset = 0;           // the disp32 is bytes [offset, offset + 4) of the block
  std::uint32_t instruction_end = 0;  // end of its instruction, bytes into the block (what RIP holds)
  // Bytes the operand's address must be a multiple of, or the instruction
  // raises #GP: 16 for a legacy SSE instruction with a 16-byte memory operand
  // (every one but the unaligned moves, lddqu and the string compares;
  // scalar, 8-byte and narrower operands and conversions count as 1), the
  // vector size for the aligned moves of VEX and EVEX (vmovaps, vmovdqa,
  // vmovnt*), else 1. Real code keeps such globals aligned; a copy of the
  // block that moves them must too.
  std::uint32_t alignment = 1;
};

// One field per RIP-relative memory operand (lea included), in block order.
std::vector<RipRelativeField> rip_relative_fields(const BasicBlock& block);

}  // namespace surrogate::block
