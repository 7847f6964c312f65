#include "block/x86_target.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "llvm/MC/MCTargetOptions.h"
#include "llvm/Support/TargetSelect.h"

extern "C" void LLVMInitializeX86TargetMCA();

namespace surrogate {

const X86Target& X86Target::get() {
  static const X86Target instance;
  return instance;
}

X86Target::X86Target() : triple_("x86_64-unknown-linux-gnu") {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86Disassembler();
  LLVMInitializeX86AsmParser();
  LLVMInitializeX86TargetMCA();
  std::string error;
  target_ = llvm::TargetRegistry::lookupTarget(triple_.str(), error);
  if (!target_) throw std::runtime_error("LLVM x86-64 target unavailable: " + error);
  reg_info_.reset(target_->createMCRegInfo(triple_.str()));
  llvm::MCTargetOptions options;
  asm_info_.reset(target_->createMCAsmInfo(*reg_info_, triple_.str(), options));
  instr_info_.reset(target_->createMCInstrInfo());
  instr_analysis_.reset(target_->createMCInstrAnalysis(instr_info_.get()));
  generic_.reset(target_->createMCSubtargetInfo(triple_.str(), "x86-64", ""));
  std::string features = "+64bit-mode";
  for (const auto& kv : generic_->getAllProcessorFeatures()) {
    std::string key = kv.Key;
    // Mode switches and soft-float change what instructions mean; tuning flags are harmless.
    if (key.find("mode") != std::string::npos || key == "soft-float" || key.rfind("tuning", 0) == 0) continue;
    features += ",+" + key;
  }
  all_features_.reset(target_->createMCSubtargetInfo(triple_.str(), "x86-64", features));
  if (!reg_info_ || !asm_info_ || !all_features_ || !instr_info_ || !instr_analysis_ || !generic_)
    throw std::runtime_error("LLVM x86-64 MC layer incomplete");

  const unsigned n = instr_info_->getNumOpcodes();
  std::unordered_map<std::string, unsigned> by_name;
  for (unsigned op = 0; op < n; ++op) by_name.emplace(instr_info_->getName(op).str(), op);
  canonical_.resize(n);
  for (unsigned op = 0; op < n; ++op) {
    canonical_[op] = op;
    std::string name = instr_info_->getName(op).str();
    if (name.size() > 4 && name.ends_with("_REV")) {
      auto twin = by_name.find(name.substr(0, name.size() - 4));
      if (twin != by_name.end()) canonical_[op] = twin->second;
    }
  }
}

std::unique_ptr<llvm::MCSubtargetInfo> X86Target::make_subtarget(const std::string& cpu) const {
  if (!generic_->isCPUStringValid(cpu)) return nullptr;
  return std::unique_ptr<llvm::MCSubtargetInfo>(target_->createMCSubtargetInfo(triple_.str(), cpu, ""));
}

int X86Target::find_opcode(const std::string& name) const {
  for (unsigned op = 0; op < instr_info_->getNumOpcodes(); ++op)
    if (instr_info_->getName(op) == name) return static_cast<int>(op);
  return -1;
}

std::vector<std::string> X86Target::cpu_names() const {
  std::vector<std::string> names;
  for (const auto& kv : generic_->getAllProcessorDescriptions()) names.emplace_back(kv.Key);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace surrogate
