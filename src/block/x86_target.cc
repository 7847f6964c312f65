#include "block/x86_target.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "llvm/MC/MCTargetOptions.h"
#include "llvm/Support/TargetSelect.h"

extern "C" void LLVMInitializeX86TargetMCA();

namespace surrogate::block {

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
  if (!reg_info_ || !asm_info_ || !instr_info_ || !instr_analysis_ || !generic_)
    throw std::runtime_error("LLVM x86-64 MC layer incomplete");

  // X_REV (the other encoding of a reg-reg form) -> X. TableGen numbers the
  // target's opcodes in name order after the target-independent ones, so the
  // twin is found by bisection in the longest name-sorted tail and checked; a
  // miss falls back to a scan (correct whatever the order). 20k names: a map
  // of them all cost ~3 ms of every process start.
  const unsigned n = instr_info_->getNumOpcodes();
  canonical_.resize(n);
  for (unsigned op = 0; op < n; ++op) canonical_[op] = op;
  auto name_of = [&](unsigned op) { return std::string_view(instr_info_->getName(op)); };
  unsigned sorted_from = n ? n - 1 : 0;
  while (sorted_from > 0 && name_of(sorted_from - 1) <= name_of(sorted_from)) --sorted_from;
  for (unsigned op = 0; op < n; ++op) {
    const std::string_view name = name_of(op);
    if (name.size() <= 4 || !name.ends_with("_REV")) continue;
    const std::string_view twin = name.substr(0, name.size() - 4);
    unsigned lo = sorted_from, hi = n;
    while (lo < hi) {
      const unsigned mid = lo + (hi - lo) / 2;
      if (name_of(mid) < twin)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < n && name_of(lo) == twin) {
      canonical_[op] = lo;
      continue;
    }
    for (unsigned other = 0; other < n; ++other)
      if (name_of(other) == twin) {
        canonical_[op] = other;
        break;
      }
  }
}

const llvm::MCSubtargetInfo& X86Target::all_features_subtarget() const {
  std::call_once(all_features_once_, [this] {
    std::string features = "+64bit-mode";
    for (const auto& kv : generic_->getAllProcessorFeatures()) {
      std::string key = kv.Key;
      // Mode switches and soft-float change what instructions mean; tuning flags are harmless.
      if (key.find("mode") != std::string::npos || key == "soft-float" || key.rfind("tuning", 0) == 0) continue;
      features += ",+" + key;
    }
    all_features_.reset(target_->createMCSubtargetInfo(triple_.str(), "x86-64", features));
    if (!all_features_) throw std::runtime_error("LLVM x86-64 MC layer incomplete");
  });
  return *all_features_;
}

std::unique_ptr<llvm::MCSubtargetInfo> X86Target::make_subtarget(const std::string& cpu) const {
  if (!generic_->isCPUStringValid(cpu)) return nullptr;
  return std::unique_ptr<llvm::MCSubtargetInfo>(target_->createMCSubtargetInfo(triple_.str(), cpu, ""));
}

namespace {
constexpr std::size_t kMaxRememberedMisses = 4096;
}

int X86Target::find_opcode(const std::string& name) const {
  std::lock_guard<std::mutex> lock(found_opcodes_mutex_);
  auto [it, fresh] = found_opcodes_.emplace(name, -1);
  if (fresh)
    for (unsigned op = 0; op < instr_info_->getNumOpcodes(); ++op)
      if (instr_info_->getName(op) == name) {
        it->second = static_cast<int>(op);
        break;
      }
  int op = it->second;
  // Unknown names (a hostile params file has any number) are not kept forever.
  if (op < 0 && found_opcodes_.size() > kMaxRememberedMisses) found_opcodes_.erase(it);
  return op;
}

std::vector<std::string> X86Target::cpu_names() const {
  std::vector<std::string> names;
  for (const auto& kv : generic_->getAllProcessorDescriptions()) names.emplace_back(kv.Key);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace surrogate::block
