// BasicBlock: a straight-line run of x86-64 machine code, decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llvm/MC/MCInst.h"
#include "util/input_error.h"

namespace surrogate::block {

// Registers that later code may read before writing them, at a point of a
// program: what must stay as it is there. Memory is not tracked (always live).
struct LiveRegisters {
  std::uint16_t gprs = 0xFFFF;  // bit i: register i in encoding order (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15)
  std::uint16_t xmms = 0xFFFF;  // bit i: the low 128 bits of vector register i
  bool flags = true;            // the status flags (CF, PF, AF, ZF, SF, OF)
  bool operator==(const LiveRegisters&) const = default;
};

struct BasicBlock {
  // Where the block came from, for messages: "file.csv:12", "a.out:main+0x1c".
  std::string name;
  // Machine code, without a trailing branch (BHive's convention).
  std::vector<std::uint8_t> bytes;
  // The trailing branch the decoder dropped from machine-code input (empty if
  // none): kept so an output row names the bytes its input row had.
  std::vector<std::uint8_t> dropped_branch;
  // Decoded instructions in order, opcodes canonicalised (X86Target::canonical_opcode).
  std::vector<llvm::MCInst> instructions;
  // Byte offset of each instruction within `bytes`.
  std::vector<std::uint32_t> offsets;
  // Throughput from the input, cycles per 100 iterations, when it had one.
  std::optional<double> throughput;
  // Columns of a CSV input beyond hex and throughput, as read (quoting
  // undone), in input order.
  std::vector<std::string> extra_columns;
  // Set for a row of the input that could not be read as a block (only when
  // the reader keeps bad rows, ReadOptions::keep_bad_rows): such a row has no
  // instructions and no bytes; `text` is its machine-code field as written.
  std::optional<util::RowError> error;
  std::string text;
  // Registers live after the block, when the input tells (ELF: the section's
  // control flow, block/liveness.h); unset: unknown, so everything.
  std::optional<LiveRegisters> live_out;

  std::string hex() const;
  // The row's first output column: the machine code the input gave (bytes,
  // then a dropped trailing branch) in hex, or for a bad row its field as
  // written (quoted for CSV where it needs to be).
  std::string hex_column() const;
};

enum class AsmSyntax { kAtt, kIntel };

// The block as assembly text, one instruction per line (tab-indented).
std::string format_block(const BasicBlock& block, AsmSyntax syntax = AsmSyntax::kAtt);
// One instruction as text, without indentation.
std::string format_instruction(const llvm::MCInst& inst, AsmSyntax syntax = AsmSyntax::kAtt);

}  // namespace surrogate::block
