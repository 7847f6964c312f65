#include "block/rip_relative.h"

#include <cstring>

#include "block/x86_operands.h"
#include "block/x86_target.h"

namespace surrogate::block {

std::vector<RipRelativeField> rip_relative_fields(const BasicBlock& block) {
  const X86Target& t = X86Target::get();
  std::vector<RipRelativeField> out;
  for (size_t i = 0; i < block.instructions.size(); ++i) {
    const llvm::MCInst& inst = block.instructions[i];
    const uint32_t begin = block.offsets[i];
    const uint32_t end =
        i + 1 < block.offsets.size() ? block.offsets[i + 1] : static_cast<uint32_t>(block.bytes.size());
    visit_operands(
        inst, [](unsigned, bool) {},
        [&](unsigned first, bool, bool) {
          const llvm::MCOperand& base = inst.getOperand(first);
          const llvm::MCOperand& disp = inst.getOperand(first + 3);
          if (!base.isReg() || base.getReg() == 0 || !disp.isImm()) return;
          if (std::strcmp(t.reg_info().getName(base.getReg()), "RIP") != 0) return;
          const auto d = static_cast<int32_t>(disp.getImm());
          uint8_t le[4];
          for (int k = 0; k < 4; ++k) le[k] = static_cast<uint8_t>(static_cast<uint32_t>(d) >> (8 * k));
          // The disp32 follows a ModRM byte with mod = 00, rm = 101 (no SIB with RIP).
          for (uint32_t p = begin + 1; p + 4 <= end; ++p) {
            if ((block.bytes[p - 1] & 0xC7) == 0x05 && std::memcmp(&block.bytes[p], le, 4) == 0) {
              out.push_back({p, end});
              return;
            }
          }
        },
        [](const llvm::MCOperand&) {});
  }
  return out;
}

}  // namespace surrogate::block
