#include "block/machine_code_encoder.h"

#include <stdexcept>

#include "block/basic_block.h"
#include "block/x86_target.h"
#include "llvm/MC/MCCodeEmitter.h"
#include "llvm/MC/MCContext.h"
#include "llvm/MC/MCFixup.h"

namespace surrogate::block {

MachineCodeEncoder::MachineCodeEncoder() {
  const X86Target& x86 = X86Target::get();
  context_ =
      std::make_unique<llvm::MCContext>(x86.triple(), &x86.asm_info(), &x86.reg_info(), &x86.all_features_subtarget());
  emitter_.reset(x86.target().createMCCodeEmitter(x86.instr_info(), *context_));
  if (!emitter_) throw std::logic_error("LLVM has no x86 code emitter");
}

MachineCodeEncoder::~MachineCodeEncoder() = default;

bool MachineCodeEncoder::encode(const llvm::MCInst& inst, std::vector<std::uint8_t>* out, std::string* why) const {
  llvm::SmallVector<char, 16> code;
  llvm::SmallVector<llvm::MCFixup, 2> fixups;
  emitter_->encodeInstruction(inst, code, fixups, X86Target::get().all_features_subtarget());
  if (!fixups.empty()) {
    *why = "operand refers to a symbol or label: '" + format_instruction(inst) + "'";
    return false;
  }
  out->insert(out->end(), code.begin(), code.end());
  return true;
}

std::vector<std::uint8_t> MachineCodeEncoder::encode(std::span<const llvm::MCInst> instructions) const {
  std::vector<std::uint8_t> bytes;
  std::string why;
  for (std::size_t i = 0; i < instructions.size(); ++i)
    if (!encode(instructions[i], &bytes, &why))
      throw std::invalid_argument("instruction " + std::to_string(i + 1) + ": " + why);
  return bytes;
}

}  // namespace surrogate::block
