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
};

// One field per RIP-relative memory operand (lea included), in block order.
std::vector<RipRelativeField> rip_relative_fields(const BasicBlock& block);

}  // namespace surrogate::block
