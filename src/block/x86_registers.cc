#include "block/x86_registers.h"

#include <string>
#include <vector>

#include "block/x86_target.h"

namespace surrogate::block {
namespace {

struct Table {
  std::vector<std::optional<GprPart>> by_register;  // by LLVM register number
  std::vector<std::optional<unsigned>> xmm;         // by LLVM register number
  unsigned by_index[16][4] = {};                    // [index][log2(bits) - 3]

  Table() {
    static const char* const names[4][16] = {
        {"AL", "CL", "DL", "BL", "SPL", "BPL", "SIL", "DIL", "R8B", "R9B", "R10B", "R11B", "R12B", "R13B", "R14B",
         "R15B"},
        {"AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8W", "R9W", "R10W", "R11W", "R12W", "R13W", "R14W", "R15W"},
        {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI", "R8D", "R9D", "R10D", "R11D", "R12D", "R13D", "R14D",
         "R15D"},
        {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"}};
    static const char* const high[4] = {"AH", "CH", "DH", "BH"};
    const llvm::MCRegisterInfo& info = X86Target::get().reg_info();
    by_register.resize(info.getNumRegs());
    xmm.resize(info.getNumRegs());
    for (unsigned reg = 1; reg < info.getNumRegs(); ++reg) {
      const std::string name = info.getName(reg);
      for (unsigned w = 0; w < 4; ++w)
        for (unsigned i = 0; i < 16; ++i)
          if (name == names[w][i]) {
            by_register[reg] = GprPart{i, 8u << w, 0};
            by_index[i][w] = reg;
          }
      for (unsigned i = 0; i < 4; ++i)
        if (name == high[i]) by_register[reg] = GprPart{i, 8, 8};
      for (unsigned i = 0; i < 16; ++i)
        if (name == "XMM" + std::to_string(i)) xmm[reg] = i;
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

std::optional<GprPart> gpr_part(unsigned reg) {
  const Table& t = table();
  return reg < t.by_register.size() ? t.by_register[reg] : std::nullopt;
}

unsigned gpr_register(unsigned index, unsigned bits) {
  const unsigned w = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;
  return index < 16 ? table().by_index[index][w] : 0;
}

std::optional<unsigned> xmm_index(unsigned reg) {
  const Table& t = table();
  return reg < t.xmm.size() ? t.xmm[reg] : std::nullopt;
}

}  // namespace surrogate::block
