#include "block/rip_relative.h"

#include <cstring>
#include <regex>
#include <string>

#include "block/x86_operands.h"
#include "block/x86_target.h"

namespace surrogate::block {
namespace {

// RipRelativeField::alignment of `inst`.
std::uint32_t required_alignment(const llvm::MCInst& inst) {
  const X86Target& t = X86Target::get();
  const std::string name = t.opcode_name(inst.getOpcode());
  // VEX and EVEX: only the aligned moves fault, at their vector size
  // (LLVM names: VMOVAPSrm xmm, VMOVAPSYrm ymm, VMOVDQA64Z128rm / Z256rm / Zrm).
  static const std::regex aligned_move(
      "^V(MOVAP[SD]|MOVDQA(32|64)?|MOVNTDQA|MOVNTDQ|MOVNTP[SD])(Y|Z128|Z256|Z)?(rm|mr)");
  std::smatch m;
  if (std::regex_search(name, m, aligned_move)) {
    const std::string size = m[3].str();
    return size == "Z" ? 64 : size == "Y" || size == "Z256" ? 32 : 16;
  }
  if (name[0] == 'V' || name.rfind("MMX_", 0) == 0) return 1;
  // Legacy SSE: a 16-byte memory operand must be aligned, except in these
  // (unaligned moves and loads, 8-byte and narrower operands, scalar forms).
  static const std::regex narrow(
      "^(MOVUP[SD]|MOVDQU|LDDQU|MOVS[SD]|MOVQ|MOV64|MOVPQI|MOVPDI|MOVDI2|MOVSS2|MOVSD2|MOVLP|MOVHP|MOVDDUP|"
      "PINSR|PEXTR|INSERTPS|EXTRACTPS|PMOV[SZ]X|CVT|COMIS|UCOMIS|ROUNDS[SD]|MOVNTS|PCMP[EI]STR)|"
      "S[SD](rm|m|rmi|mi|mr)(_Int)?$");
  if (std::regex_search(name, narrow)) return 1;
  for (const llvm::MCOperand& op : inst)
    if (op.isReg() && op.getReg() != 0 && std::strncmp(t.reg_info().getName(op.getReg()), "XMM", 3) == 0) return 16;
  return 1;
}

}  // namespace

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
              out.push_back({p, end, required_alignment(inst)});
              return;
            }
          }
        },
        [](const llvm::MCOperand&) {});
  }
  return out;
}

}  // namespace surrogate::block
