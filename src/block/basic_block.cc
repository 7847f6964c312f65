#include "block/basic_block.h"

#include "block/bhive_csv.h"

#include <memory>

#include "block/x86_target.h"
#include "llvm/MC/MCInstPrinter.h"
#include "llvm/Support/raw_ostream.h"
#include "util/hex.h"

namespace surrogate::block {

std::string BasicBlock::hex() const { return util::to_hex(bytes); }

std::string BasicBlock::hex_column() const {
  if (!error) return hex() + util::to_hex(dropped_branch);
  return csv_field(text);
}

std::string format_instruction(const llvm::MCInst& inst, AsmSyntax syntax) {
  const X86Target& x86 = X86Target::get();
  // MCInstPrinter is cheap to make and not documented as thread-safe: one per thread.
  thread_local std::unique_ptr<llvm::MCInstPrinter> printers[2];
  auto& printer = printers[syntax == AsmSyntax::kIntel];
  if (!printer)
    printer.reset(x86.target().createMCInstPrinter(x86.triple(), syntax == AsmSyntax::kIntel ? 1 : 0, x86.asm_info(),
                                                   x86.instr_info(), x86.reg_info()));
  std::string text;
  llvm::raw_string_ostream os(text);
  printer->printInst(&inst, 0, "", x86.generic_subtarget(), os);
  os.flush();
  std::size_t start = text.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  text = text.substr(start);
  for (char& c : text)
    if (c == '\t') c = ' ';  // "jne\tloop" -> "jne loop"
  return text;
}

std::string format_block(const BasicBlock& block, AsmSyntax syntax) {
  std::string text;
  for (const llvm::MCInst& inst : block.instructions) text += "\t" + format_instruction(inst, syntax) + "\n";
  return text;
}

}  // namespace surrogate::block
