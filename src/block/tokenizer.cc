#include "block/tokenizer.h"

#include <cstdint>

#include "block/x86_target.h"
#include "llvm/MC/MCInstrDesc.h"

namespace surrogate {
namespace {

// LLVM's X86 instruction prefix flags on MCInst (X86BaseInfo.h, not installed).
constexpr unsigned kHasRepeatNe = 1u << 2;
constexpr unsigned kHasRepeat = 1u << 3;
constexpr unsigned kHasLock = 1u << 4;

// X86 memory operands are 5 MCOperands: base, scale, index, displacement, segment.
constexpr unsigned kMemoryOperands = 5;

std::string immediate_token(int64_t v) {
  if (v >= -1 && v <= 8) return "IMM:" + std::to_string(v);
  if (v >= INT8_MIN && v <= INT8_MAX) return "IMM:i8";
  if (v >= INT16_MIN && v <= INT16_MAX) return "IMM:i16";
  if (v >= INT32_MIN && v <= INT32_MAX) return "IMM:i32";
  return "IMM:i64";
}

void add_register(const X86Target& t, unsigned reg, std::vector<std::string>& out) {
  if (reg != 0) out.push_back(t.reg_info().getName(reg));
}

void add_memory(const X86Target& t, const llvm::MCInst& inst, unsigned i, std::vector<std::string>& out) {
  out.push_back("<M>");
  unsigned base = inst.getOperand(i).getReg();
  int64_t scale = inst.getOperand(i + 1).getImm();
  unsigned index = inst.getOperand(i + 2).getReg();
  const llvm::MCOperand& disp = inst.getOperand(i + 3);
  unsigned segment = inst.getOperand(i + 4).getReg();
  if (base != 0) out.push_back("B:" + std::string(t.reg_info().getName(base)));
  if (index != 0) {
    out.push_back("I:" + std::string(t.reg_info().getName(index)));
    out.push_back("S:" + std::to_string(scale));
  }
  if (!disp.isImm()) {
    out.push_back("D:32");  // symbolic (not produced by the disassembler)
  } else if (int64_t d = disp.getImm(); d != 0) {
    out.push_back(d >= INT8_MIN && d <= INT8_MAX ? "D:8" : "D:32");
  }
  if (segment != 0) out.push_back("G:" + std::string(t.reg_info().getName(segment)));
}

}  // namespace

InstructionTokens tokenize_instruction(const llvm::MCInst& inst) {
  const X86Target& t = X86Target::get();
  const llvm::MCInstrDesc& desc = t.instr_info().get(inst.getOpcode());
  InstructionTokens out;
  out.push_back(t.instr_info().getName(inst.getOpcode()).str());
  if (inst.getFlags() & kHasLock) out.push_back("LOCK");
  if (inst.getFlags() & kHasRepeat) out.push_back("REP");
  if (inst.getFlags() & kHasRepeatNe) out.push_back("REPNE");

  std::vector<std::string> sources, destinations;
  const unsigned defs = desc.getNumDefs();
  const bool is_lea = out.front().rfind("LEA", 0) == 0;
  for (unsigned i = 0; i < inst.getNumOperands(); ++i) {
    const llvm::MCOperand& op = inst.getOperand(i);
    // LEA's address operands (lea*mem) are not typed OPERAND_MEMORY.
    bool memory = i + kMemoryOperands <= inst.getNumOperands() &&
                  ((i < desc.getNumOperands() && desc.operands()[i].OperandType == llvm::MCOI::OPERAND_MEMORY) ||
                   (i == defs && is_lea));
    if (memory) {
      bool load = desc.mayLoad(), store = desc.mayStore();
      if (load || !store) add_memory(t, inst, i, sources);
      if (store) add_memory(t, inst, i, destinations);
      i += kMemoryOperands - 1;
    } else if (op.isReg()) {
      if (i < defs) {
        add_register(t, op.getReg(), destinations);
      } else {
        add_register(t, op.getReg(), sources);  // uses, tied ones included (two-address form reads them)
      }
    } else if (op.isImm()) {
      sources.push_back(immediate_token(op.getImm()));
    } else if (op.isSFPImm() || op.isDFPImm()) {
      sources.push_back("IMM:fp");
    }
  }
  for (llvm::MCPhysReg r : desc.implicit_uses()) add_register(t, r, sources);
  for (llvm::MCPhysReg r : desc.implicit_defs()) add_register(t, r, destinations);

  out.push_back("<S>");
  out.insert(out.end(), sources.begin(), sources.end());
  out.push_back("<D>");
  out.insert(out.end(), destinations.begin(), destinations.end());
  out.push_back("<E>");
  return out;
}

std::vector<InstructionTokens> tokenize_block(const BasicBlock& block) {
  std::vector<InstructionTokens> out;
  out.reserve(block.instructions.size());
  for (const llvm::MCInst& inst : block.instructions) out.push_back(tokenize_instruction(inst));
  return out;
}

}  // namespace surrogate
