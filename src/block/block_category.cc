#include "block/block_category.h"

#include "block/x86_target.h"

namespace surrogate::block {
namespace {

bool is_vector_register(const llvm::MCRegisterInfo& ri, unsigned reg) {
  if (reg == 0) return false;
  llvm::StringRef name(ri.getName(reg));
  return name.starts_with("XMM") || name.starts_with("YMM") || name.starts_with("ZMM") || name.starts_with("K");
}

bool is_divide_or_sqrt(llvm::StringRef opcode) {
  // LLVM names: DIV32r, IDIV64m, DIVSDrr, VDIVPSYrr, SQRTSSr, VSQRTPDZr, DIV_F*...
  if (opcode.starts_with("V")) opcode = opcode.drop_front();
  return opcode.starts_with("DIV") || opcode.starts_with("IDIV") || opcode.starts_with("SQRT");
}

}  // namespace

std::string block_category(const BasicBlock& block) {
  const X86Target& t = X86Target::get();
  bool vector = false;
  size_t memory = 0;
  for (const llvm::MCInst& inst : block.instructions) {
    llvm::StringRef opcode = t.instr_info().getName(inst.getOpcode());
    if (is_divide_or_sqrt(opcode)) return "divide/sqrt";
    const llvm::MCInstrDesc& desc = t.instr_info().get(inst.getOpcode());
    if (desc.mayLoad() || desc.mayStore()) ++memory;
    for (const llvm::MCOperand& op : inst)
      if (op.isReg() && is_vector_register(t.reg_info(), op.getReg())) vector = true;
  }
  if (vector) return "vector";
  if (2 * memory >= block.instructions.size()) return "memory";
  return "scalar";
}

std::string block_length_bucket(const BasicBlock& block) {
  size_t n = block.instructions.size();
  if (n <= 2) return std::to_string(n);
  if (n <= 4) return "3-4";
  if (n <= 8) return "5-8";
  if (n <= 16) return "9-16";
  return "17+";
}

}  // namespace surrogate::block
