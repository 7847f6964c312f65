// X86Target: LLVM 19's x86-64 MC objects, created once per process.
//
// Everything here is immutable after construction and safe to read from many
// threads. Objects with mutable state (MCContext, disassembler, subtargets used
// by an InstrBuilder) are made per user through the factory functions.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "llvm/MC/MCAsmInfo.h"
#include "llvm/MC/MCInstrAnalysis.h"
#include "llvm/MC/MCInstrInfo.h"
#include "llvm/MC/MCRegisterInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/TargetParser/Triple.h"

namespace surrogate::block {

// MCInst::getFlags() bits of x86 prefixes (X86::IP_HAS_*, X86BaseInfo.h,
// which LLVM does not install).
inline constexpr unsigned kRepeatNePrefixFlag = 1u << 2;
inline constexpr unsigned kRepeatPrefixFlag = 1u << 3;
inline constexpr unsigned kLockPrefixFlag = 1u << 4;

class X86Target {
 public:
  // The process-wide instance; initialises LLVM's X86 target on first use.
  static const X86Target& get();

  const llvm::Target& target() const { return *target_; }
  const llvm::Triple& triple() const { return triple_; }
  const llvm::MCRegisterInfo& reg_info() const { return *reg_info_; }
  const llvm::MCAsmInfo& asm_info() const { return *asm_info_; }
  const llvm::MCInstrInfo& instr_info() const { return *instr_info_; }
  const llvm::MCInstrAnalysis& instr_analysis() const { return *instr_analysis_; }

  // A fresh subtarget for `cpu` (LLVM spelling, e.g. "haswell"); nullptr if
  // LLVM does not know the CPU.
  std::unique_ptr<llvm::MCSubtargetInfo> make_subtarget(const std::string& cpu) const;
  // The subtarget used for decoding and printing: generic x86-64.
  const llvm::MCSubtargetInfo& generic_subtarget() const { return *generic_; }
  // A subtarget with every instruction-set feature on, so the assembler
  // accepts any x86-64 instruction (AVX-512, AMX, XOP, ...). Made on first
  // use (thread-safe): resolving ~250 features' implications takes ~4 ms,
  // which a `predict` that reads no assembly does not pay.
  const llvm::MCSubtargetInfo& all_features_subtarget() const;

  // The opcode llvm-mca would see for this instruction when it parses the
  // printed text: the disassembler's "_REV" encodings (e.g. XOR32rr_REV for
  // 33 d2) map to their twins, which the zero-idiom rules recognise.
  unsigned canonical_opcode(unsigned opcode) const { return canonical_[opcode]; }
  std::string opcode_name(unsigned opcode) const { return instr_info_->getName(opcode).str(); }
  // Opcode by name, or -1. A name's first lookup scans LLVM's ~20k names
  // (~0.4 ms); later ones are remembered (the decoder asks on each
  // construction). No full index: its 20k allocations cost a one-block
  // `predict` more than the scans they save.
  int find_opcode(const std::string& name) const;

  // x86 CPU names LLVM knows, sorted.
  std::vector<std::string> cpu_names() const;

 private:
  X86Target();
  const llvm::Target* target_;
  llvm::Triple triple_;
  std::unique_ptr<llvm::MCRegisterInfo> reg_info_;
  std::unique_ptr<llvm::MCAsmInfo> asm_info_;
  std::unique_ptr<llvm::MCInstrInfo> instr_info_;
  std::unique_ptr<llvm::MCInstrAnalysis> instr_analysis_;
  std::unique_ptr<llvm::MCSubtargetInfo> generic_;
  mutable std::mutex found_opcodes_mutex_;
  mutable std::unordered_map<std::string, int> found_opcodes_;  // name -> opcode or -1, as looked up
  mutable std::once_flag all_features_once_;
  mutable std::unique_ptr<llvm::MCSubtargetInfo> all_features_;
  std::vector<unsigned> canonical_;
};

}  // namespace surrogate::block
