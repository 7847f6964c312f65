// x86-64 ELF objects and executables -> basic blocks.
//
// Every executable section is disassembled linearly. Blocks start at the
// section start, at every symbol, at every direct branch target inside the
// section and after every control-flow instruction; a block's trailing branch
// is dropped. Blocks named "SYMBOL+0xOFFSET". Blocks that hold only a branch,
// or only padding (nop, int3), are skipped; undecodable bytes end the current
// run until the next symbol, with a note. With `liveness`, each block's
// live_out comes from the section's control flow (block/liveness.h; every
// symbol of the section counts as a function start).
#pragma once

#include <string>

#include "block/bhive_csv.h"

namespace surrogate::block {

BlockFile read_elf(const std::string& path, bool liveness = false);

// True if the bytes start with the ELF magic.
bool is_elf(const std::string& head);

}  // namespace surrogate::block
