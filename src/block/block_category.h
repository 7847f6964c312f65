// A coarse kind of a basic block, for error breakdowns ("which blocks does a
// model get wrong?"), from the instructions' LLVM descriptions alone.
#pragma once

#include <string>

#include "block/basic_block.h"

namespace surrogate::block {

// One of, checked in this order:
//   "divide/sqrt"  any integer or FP division or square root
//   "vector"       any operand in an XMM/YMM/ZMM/mask register
//   "memory"       at least half of the instructions load or store
//   "scalar"       everything else (scalar integer ALU, branches removed)
std::string block_category(const BasicBlock& block);

// Length bucket of a block in instructions: "1", "2", "3-4", "5-8", "9-16", "17+".
std::string block_length_bucket(const BasicBlock& block);

}  // namespace surrogate::block
