// The roles of an x86 MCInst's operands, in one place for everything that
// reads them (the tokenizer, the dependency analysis):
//   - explicit register operands: the first getNumDefs() are written, the
//     rest read (tied sources of the two-address form included);
//   - memory references: 5 operands (base, scale, index, displacement,
//     segment), read when the instruction may load or only computes the
//     address (lea), written when it may store (both for read-modify-write);
//   - immediates; then implicit uses and implicit definitions (EFLAGS, RSP
//     of push, RAX/RDX of div, ...).
#pragma once

#include "block/x86_target.h"
#include "llvm/MC/MCInst.h"
#include "llvm/MC/MCInstrDesc.h"

namespace surrogate::block {

// X86 memory operands are 5 MCOperands: base, scale, index, displacement, segment.
inline constexpr unsigned kMemoryOperands = 5;

// Calls, in operand order:
//   on_register(reg, bool written)          explicit register operands (reg != 0)
//   on_memory(first_operand, bool read, bool written)
//   on_immediate(const llvm::MCOperand&)    integer and floating-point immediates
// then on_register(reg, false) for implicit uses and on_register(reg, true)
// for implicit definitions.
template <typename OnRegister, typename OnMemory, typename OnImmediate>
void visit_operands(const llvm::MCInst& inst, OnRegister on_register, OnMemory on_memory, OnImmediate on_immediate) {
  const X86Target& t = X86Target::get();
  const llvm::MCInstrDesc& desc = t.instr_info().get(inst.getOpcode());
  const unsigned defs = desc.getNumDefs();
  const bool is_lea = t.instr_info().getName(inst.getOpcode()).starts_with("LEA");
  for (unsigned i = 0; i < inst.getNumOperands(); ++i) {
    const llvm::MCOperand& op = inst.getOperand(i);
    // LEA's address operands (lea*mem) are not typed OPERAND_MEMORY.
    const bool memory = i + kMemoryOperands <= inst.getNumOperands() &&
                        ((i < desc.getNumOperands() && desc.operands()[i].OperandType == llvm::MCOI::OPERAND_MEMORY) ||
                         (i == defs && is_lea));
    if (memory) {
      const bool load = desc.mayLoad(), store = desc.mayStore();
      on_memory(i, load || !store, store);
      i += kMemoryOperands - 1;
    } else if (op.isReg()) {
      if (op.getReg() != 0) on_register(static_cast<unsigned>(op.getReg()), i < defs);
    } else if (op.isImm() || op.isSFPImm() || op.isDFPImm()) {
      on_immediate(op);
    }
  }
  for (llvm::MCPhysReg r : desc.implicit_uses()) on_register(r, false);
  for (llvm::MCPhysReg r : desc.implicit_defs()) on_register(r, true);
}

}  // namespace surrogate::block
