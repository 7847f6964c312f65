// Assembly text -> basic blocks, parsed by LLVM's x86 assembler.
//
// AT&T or Intel syntax (".intel_syntax" in the text, or AsmSyntax given, or
// detected: text without any of '%', '$', '(' is Intel). Blocks are separated by blank
// lines; a file without blank lines is one block. Instructions are encoded to
// machine code and decoded back, so every block has exact bytes. Operands
// that need relocation (labels, symbols) are rejected, except in a trailing
// branch, which is dropped.
#pragma once

#include <optional>
#include <string>

#include "block/basic_block.h"
#include "block/bhive_csv.h"

namespace surrogate::block {

BlockFile read_asm(const std::string& text, const std::string& input, std::optional<AsmSyntax> syntax = std::nullopt);

AsmSyntax detect_asm_syntax(const std::string& text);

}  // namespace surrogate::block
