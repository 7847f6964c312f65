#include "block/liveness.h"

#include <algorithm>
#include <string_view>

#include "block/dependencies.h"
#include "block/x86_registers.h"
#include "block/x86_target.h"
#include "llvm/MC/MCInstrDesc.h"

namespace surrogate::block {
namespace {

// A live set as bits: 0-15 general-purpose registers (encoding order), 16-31
// xmm0-15, 32 the status flags.
using Mask = std::uint64_t;
constexpr Mask kFlags = Mask{1} << 32;
constexpr Mask kAll = (Mask{1} << 33) - 1;

constexpr Mask gpr(unsigned i) { return Mask{1} << i; }
constexpr Mask xmm(unsigned i) { return Mask{1} << (16 + i); }
constexpr Mask xmms(unsigned first, unsigned last) {
  Mask m = 0;
  for (unsigned i = first; i <= last; ++i) m |= xmm(i);
  return m;
}
enum Gpr : unsigned { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15 };

// The System V x86-64 ABI (see liveness.h).
constexpr Mask kArguments =
    gpr(rdi) | gpr(rsi) | gpr(rdx) | gpr(rcx) | gpr(r8) | gpr(r9) | gpr(rax) | gpr(r10) | gpr(rsp) | xmms(0, 7);
constexpr Mask kCalleeSaved = gpr(rbx) | gpr(rbp) | gpr(r12) | gpr(r13) | gpr(r14) | gpr(r15) | gpr(rsp);
constexpr Mask kResults = gpr(rax) | gpr(rdx) | xmm(0) | xmm(1);
constexpr Mask kCallClobbers = gpr(rax) | gpr(rcx) | gpr(rdx) | gpr(rsi) | gpr(rdi) | gpr(r8) | gpr(r9) | gpr(r10) |
                               gpr(r11) | xmms(0, 15) | kFlags;
constexpr Mask kAtReturn = kResults | kCalleeSaved;
constexpr Mask kAtTailCall = kArguments | kCalleeSaved;

// Dataflow slots (dependencies.h: 0-15 GPRs, 16-47 vector, 48 EFLAGS) as a mask.
Mask mask_of_slots(std::uint64_t slots) {
  return (slots & 0xFFFF) | (((slots >> 16) & 0xFFFF) << 16) | (((slots >> 48) & 1) << 32);
}

// What a write of each LLVM register kills (0: nothing, it keeps part of what
// is tracked, or is not tracked).
struct WriteKills {
  std::vector<Mask> gpr_full;  // by register number: a 64- or 32-bit GPR
  std::vector<Mask> vector;    // by register number: xmm/ymm/zmm 0-15
  unsigned eflags = 0;
};

const WriteKills& write_kills() {
  static const WriteKills kills = [] {
    const llvm::MCRegisterInfo& info = X86Target::get().reg_info();
    WriteKills k;
    k.gpr_full.assign(info.getNumRegs(), 0);
    k.vector.assign(info.getNumRegs(), 0);
    for (unsigned reg = 1; reg < info.getNumRegs(); ++reg) {
      const std::string_view name = info.getName(reg);
      const std::optional<GprPart> part = gpr_part(reg);
      if (part && part->bits >= 32) k.gpr_full[reg] = gpr(part->index);
      for (unsigned i = 0; i < 16; ++i) {
        const std::string n = std::to_string(i);
        if (name == "XMM" + n || name == "YMM" + n || name == "ZMM" + n) k.vector[reg] = xmm(i);
      }
      if (name == "EFLAGS") k.eflags = reg;
    }
    return k;
  }();
  return kills;
}

enum class Flow { kNext, kConditional, kJump, kIndirect, kCall, kReturn, kOther };

struct Step {
  Mask uses = 0, kills = 0;
  Flow flow = Flow::kNext;
  std::size_t target = SIZE_MAX;  // index of a direct branch's target instruction; SIZE_MAX: unknown
  bool tail_call = false;         // the target is a function start
};

Step step_of(const CodeInstruction& c, std::span<const CodeInstruction> code,
             const std::set<std::uint64_t>& function_starts) {
  const X86Target& x86 = X86Target::get();
  const llvm::MCInst& inst = *c.inst;
  const llvm::MCInstrDesc& desc = x86.instr_info().get(inst.getOpcode());
  const std::string_view name = x86.instr_info().getName(inst.getOpcode());
  Step s;
  const InstructionDataflow d = dataflow_of(inst);
  s.uses = mask_of_slots(d.reads | d.address_reads);
  // A system call or interrupt reads registers LLVM does not list (rdi, rsi,
  // ... of the kernel's convention; a handler may read anything).
  if (name == "SYSCALL" || name == "SYSENTER" || name.starts_with("INT")) s.uses = kAll;
  const WriteKills& w = write_kills();
  const bool vex = name.starts_with("V");
  for (unsigned i = 0; i < desc.getNumDefs() && i < inst.getNumOperands(); ++i) {
    if (!inst.getOperand(i).isReg()) continue;
    const unsigned reg = inst.getOperand(i).getReg();
    if (reg >= w.gpr_full.size()) continue;
    s.kills |= w.gpr_full[reg] | (vex ? w.vector[reg] : 0);
  }
  for (llvm::MCPhysReg reg : desc.implicit_defs()) {
    if (reg == w.eflags && sets_all_flags(name)) s.kills |= kFlags;
    if (reg < w.gpr_full.size()) s.kills |= w.gpr_full[reg];
  }
  if (!x86.instr_analysis().mayAffectControlFlow(inst, x86.reg_info())) return s;

  if (desc.isReturn()) {
    s.flow = Flow::kReturn;
  } else if (desc.isCall()) {
    s.flow = Flow::kCall;
  } else if (desc.isBranch() && !desc.isIndirectBranch()) {
    s.flow = desc.isConditionalBranch() ? Flow::kConditional : Flow::kJump;
    std::uint64_t target = 0;
    if (!c.relocated && x86.instr_analysis().evaluateBranch(inst, c.address, c.size, target)) {
      auto it = std::lower_bound(code.begin(), code.end(), target,
                                 [](const CodeInstruction& x, std::uint64_t a) { return x.address < a; });
      if (it != code.end() && it->address == target) s.target = static_cast<std::size_t>(it - code.begin());
      s.tail_call = function_starts.count(target) > 0;
    }
  } else if (desc.isIndirectBranch()) {
    s.flow = Flow::kIndirect;
  } else {
    s.flow = Flow::kOther;
  }
  return s;
}

LiveRegisters registers_of(Mask m) {
  LiveRegisters live;
  live.gprs = static_cast<std::uint16_t>(m & 0xFFFF);
  live.xmms = static_cast<std::uint16_t>((m >> 16) & 0xFFFF);
  live.flags = (m & kFlags) != 0;
  return live;
}

}  // namespace

std::vector<LiveRegisters> live_after_each(std::span<const CodeInstruction> code,
                                           const std::set<std::uint64_t>& function_starts) {
  const std::size_t n = code.size();
  std::vector<Step> steps;
  steps.reserve(n);
  for (const CodeInstruction& c : code) steps.push_back(step_of(c, code, function_starts));
  // live_in[i]; the point after i falls through to i + 1 only if it follows directly.
  std::vector<Mask> live_in(n, 0), live_out(n, 0);
  auto next_in = [&](std::size_t i) {
    return i + 1 < n && code[i].address + code[i].size == code[i + 1].address ? live_in[i + 1] : kAll;
  };
  auto target_in = [&](const Step& s) {
    Mask m = s.target == SIZE_MAX ? kAll : live_in[s.target];
    return s.tail_call ? m | kAtTailCall : m;
  };
  // Each pass only adds bits, at most 33 per instruction: it ends.
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = n; i-- > 0;) {
      const Step& s = steps[i];
      Mask out = 0, in = 0;
      switch (s.flow) {
        case Flow::kNext:
          out = next_in(i);
          break;
        case Flow::kConditional:
          out = next_in(i) | target_in(s);
          break;
        case Flow::kJump:
          out = target_in(s);
          break;
        case Flow::kCall:
          out = next_in(i);
          break;
        case Flow::kReturn:
          out = kAtReturn;
          break;
        case Flow::kIndirect:
        case Flow::kOther:
          out = kAll;
          break;
      }
      in = s.uses | (out & ~s.kills);
      if (s.flow == Flow::kCall) in = s.uses | kArguments | (out & ~kCallClobbers);
      if (in != live_in[i] || out != live_out[i]) {
        live_in[i] = in;
        live_out[i] = out;
        changed = true;
      }
    }
  }
  std::vector<LiveRegisters> after(n);
  for (std::size_t i = 0; i < n; ++i) after[i] = registers_of(live_out[i]);
  return after;
}

bool sets_all_flags(std::string_view name) {
  for (std::string_view no : {"ADCX", "ADOX", "CMPS", "SCAS"})
    if (name.starts_with(no)) return false;
  for (std::string_view yes : {"ADD", "SUB", "AND", "OR", "XOR", "CMP", "TEST", "NEG", "ADC", "SBB"})
    if (name.starts_with(yes)) return true;
  return false;
}

}  // namespace surrogate::block
