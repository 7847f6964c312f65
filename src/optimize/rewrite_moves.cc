#include "optimize/rewrite_moves.h"

#include <algorithm>
#include <cmath>

#include "block/liveness.h"
#include "block/x86_operands.h"
#include "block/x86_registers.h"
#include "block/x86_target.h"
#include "optimize/operand_guide.h"
#include "llvm/MC/MCInstrInfo.h"
#include "llvm/MC/MCRegisterInfo.h"

namespace surrogate::optimize {
namespace {

// Opcodes and registers by name, looked up once.
struct Names {
  int endbr64, endbr32, mov32ri, xor32rr, imul64rri8, imul64rri32, lea64r, add64ri8, sub64ri8, inc64r, dec64r, add32ri8,
      sub32ri8, inc32r, dec32r, push64r, pop64r, mov64mr, mov64rm, add64ri32, sub64ri32;
  unsigned rsp, eflags = 0;
  std::vector<unsigned> gr64, gr32;  // same order: gr32[i] is the low half of gr64[i]

  Names() {
    const block::X86Target& x86 = block::X86Target::get();
    endbr64 = x86.find_opcode("ENDBR64");
    endbr32 = x86.find_opcode("ENDBR32");
    mov32ri = x86.find_opcode("MOV32ri");
    xor32rr = x86.find_opcode("XOR32rr");
    imul64rri8 = x86.find_opcode("IMUL64rri8");
    imul64rri32 = x86.find_opcode("IMUL64rri32");
    lea64r = x86.find_opcode("LEA64r");
    add64ri8 = x86.find_opcode("ADD64ri8");
    sub64ri8 = x86.find_opcode("SUB64ri8");
    inc64r = x86.find_opcode("INC64r");
    dec64r = x86.find_opcode("DEC64r");
    add32ri8 = x86.find_opcode("ADD32ri8");
    sub32ri8 = x86.find_opcode("SUB32ri8");
    inc32r = x86.find_opcode("INC32r");
    dec32r = x86.find_opcode("DEC32r");
    push64r = x86.find_opcode("PUSH64r");
    pop64r = x86.find_opcode("POP64r");
    mov64mr = x86.find_opcode("MOV64mr");
    mov64rm = x86.find_opcode("MOV64rm");
    add64ri32 = x86.find_opcode("ADD64ri32");
    sub64ri32 = x86.find_opcode("SUB64ri32");
    rsp = block::gpr_register(4, 64);
    for (unsigned reg = 1; reg < x86.reg_info().getNumRegs() && !eflags; ++reg)
      if (x86.reg_info().getName(reg) == std::string_view("EFLAGS")) eflags = reg;
    for (unsigned i = 0; i < 16; ++i) {
      if (i == 4) continue;  // not rsp
      gr64.push_back(block::gpr_register(i, 64));
      gr32.push_back(block::gpr_register(i, 32));
    }
  }
};

const Names& names() {
  static const Names n;
  return n;
}

llvm::MCInst make(int opcode, std::initializer_list<llvm::MCOperand> operands) {
  llvm::MCInst inst;
  inst.setOpcode(static_cast<unsigned>(opcode));
  for (const llvm::MCOperand& op : operands) inst.addOperand(op);
  return inst;
}

// The catalogue's cheaper form of `inst`, with a name, if it has one.
std::optional<std::pair<llvm::MCInst, std::string>> catalogue(const llvm::MCInst& inst) {
  const Names& n = names();
  const int op = static_cast<int>(inst.getOpcode());
  using llvm::MCOperand;
  if (op == n.mov32ri && inst.getOperand(1).isImm() && inst.getOperand(1).getImm() == 0) {
    const unsigned r = inst.getOperand(0).getReg();
    return std::pair{make(n.xor32rr, {MCOperand::createReg(r), MCOperand::createReg(r), MCOperand::createReg(r)}),
                     std::string("mov->xor")};
  }
  if ((op == n.imul64rri8 || op == n.imul64rri32) && inst.getOperand(2).isImm()) {
    const std::int64_t k = inst.getOperand(2).getImm();
    if (k == 2 || k == 4 || k == 8)  // lea dst, [0 + src * k]
      return std::pair{make(n.lea64r, {inst.getOperand(0), MCOperand::createReg(0), MCOperand::createImm(k),
                                       inst.getOperand(1), MCOperand::createImm(0), MCOperand::createReg(0)}),
                       std::string("imul->lea")};
  }
  const bool add1 =
      (op == n.add64ri8 || op == n.add32ri8) && inst.getOperand(2).isImm() && inst.getOperand(2).getImm() == 1;
  const bool sub1 =
      (op == n.sub64ri8 || op == n.sub32ri8) && inst.getOperand(2).isImm() && inst.getOperand(2).getImm() == 1;
  if (add1 || sub1) {
    const bool wide = op == n.add64ri8 || op == n.sub64ri8;
    const int to = add1 ? (wide ? n.inc64r : n.inc32r) : (wide ? n.dec64r : n.dec32r);
    return std::pair{make(to, {inst.getOperand(0), inst.getOperand(1)}), std::string(add1 ? "add->inc" : "sub->dec")};
  }
  return std::nullopt;
}

// A push (pop) of a 64-bit register other than rsp.
bool pushes(const llvm::MCInst& inst) {
  return static_cast<int>(inst.getOpcode()) == names().push64r && inst.getOperand(0).getReg() != names().rsp;
}
bool pops(const llvm::MCInst& inst) {
  return static_cast<int>(inst.getOpcode()) == names().pop64r && inst.getOperand(0).getReg() != names().rsp;
}

// An add (sub) of an immediate to rsp, by opcode `ri8` or `ri32`: the immediate, if it is one.
std::optional<std::int64_t> rsp_adjustment(const llvm::MCInst& inst, int ri8, int ri32) {
  const int op = static_cast<int>(inst.getOpcode());
  if ((op != ri8 && op != ri32) || inst.getOperand(0).getReg() != names().rsp || !inst.getOperand(2).isImm())
    return std::nullopt;
  return inst.getOperand(2).getImm();
}

llvm::MCInst rsp_lea(std::int64_t displacement) {
  using llvm::MCOperand;
  const unsigned rsp = names().rsp;
  return make(names().lea64r, {MCOperand::createReg(rsp), MCOperand::createReg(rsp), MCOperand::createImm(1),
                               MCOperand::createReg(0), MCOperand::createImm(displacement), MCOperand::createReg(0)});
}

// Does `inst` stay out of the stack's way: no access to memory, no mention of
// rsp (explicit, in an address or implicit), no control flow? The stack
// move carries its pushes (pops) across such instructions.
bool stack_neutral(const llvm::MCInst& inst) {
  const llvm::MCInstrDesc& desc = block::X86Target::get().instr_info().get(inst.getOpcode());
  if (desc.mayLoad() || desc.mayStore() || desc.isBranch() || desc.isCall() || desc.isReturn() || desc.isTerminator() ||
      desc.hasUnmodeledSideEffects())
    return false;
  const llvm::MCRegisterInfo& regs = block::X86Target::get().reg_info();
  for (unsigned k = 0; k < inst.getNumOperands(); ++k)
    if (inst.getOperand(k).isReg() && inst.getOperand(k).getReg() != 0 &&
        regs.regsOverlap(inst.getOperand(k).getReg(), names().rsp))
      return false;
  for (llvm::MCPhysReg r : desc.implicit_uses())
    if (regs.regsOverlap(r, names().rsp)) return false;
  for (llvm::MCPhysReg r : desc.implicit_defs())
    if (regs.regsOverlap(r, names().rsp)) return false;
  return true;
}

// Are the status flags block[j] writes dead: overwritten in full before any
// instruction of the block reads one, or never read and not live after it?
bool flags_dead_after(const std::vector<llvm::MCInst>& block, std::size_t j, bool flags_live_out) {
  const block::X86Target& x86 = block::X86Target::get();
  auto mentions_flags = [](llvm::ArrayRef<llvm::MCPhysReg> regs) {
    return std::find(regs.begin(), regs.end(), names().eflags) != regs.end();
  };
  for (std::size_t k = j + 1; k < block.size(); ++k) {
    const llvm::MCInstrDesc& desc = x86.instr_info().get(block[k].getOpcode());
    if (mentions_flags(desc.implicit_uses())) return false;
    if (mentions_flags(desc.implicit_defs()) && block::sets_all_flags(x86.instr_info().getName(block[k].getOpcode())))
      return true;
  }
  return !flags_live_out;
}

// The stack move of block[i]: the pushes (pops) around block[i], with only
// stack-neutral instructions between them, as one `lea` of rsp and plain
// stores (loads) at the same addresses, each where its push (pop) stood:
// pushes -> lea -8k(%rsp),%rsp in place of the first push, then the stores
// above the new rsp; pops -> the loads, then lea 8k(%rsp),%rsp in place of
// the last pop (no access is ever below rsp). The `sub $n,%rsp` after the
// pushes (the `add $n,%rsp` before the pops), past neutral instructions
// only, is folded into the lea where the flags it writes are dead (the lea
// writes none), else kept: a search that took the unfolded form first
// could not fold it later. Simulators and cores differ here: llvm-mca
// puts every pop's load latency on the rsp chain, while cores track rsp in
// a stack engine that synchronises at an explicit use of rsp after pushes
// or pops; the cost model decides.
std::optional<Rewrite> stack_move(const std::vector<llvm::MCInst>& block, std::size_t i, bool flags_live_out) {
  const Names& n = names();
  const bool push = pushes(block[i]);
  if (!push && !pops(block[i])) return std::nullopt;
  auto member = [&](const llvm::MCInst& inst) { return push ? pushes(inst) : pops(inst); };
  // The group: members from `first` to `last`, neutral instructions between.
  std::size_t first = i, last = i;
  for (std::size_t j = i; j > 0 && (member(block[j - 1]) || stack_neutral(block[j - 1])); --j)
    if (member(block[j - 1])) first = j - 1;
  for (std::size_t j = i + 1; j < block.size() && (member(block[j]) || stack_neutral(block[j])); ++j)
    if (member(block[j])) last = j;
  // The rsp adjustment to fold, past neutral instructions: after the pushes, before the pops.
  std::optional<std::size_t> adjustment;
  std::int64_t folded = 0;
  if (push) {
    std::size_t j = last + 1;
    while (j < block.size() && stack_neutral(block[j])) ++j;
    if (j < block.size())
      if (auto sub = rsp_adjustment(block[j], n.sub64ri8, n.sub64ri32)) adjustment = j, folded = *sub;
  } else {
    std::size_t j = first;
    while (j > 0 && stack_neutral(block[j - 1])) --j;
    if (j > 0)
      if (auto add = rsp_adjustment(block[j - 1], n.add64ri8, n.add64ri32)) adjustment = j - 1, folded = *add;
  }
  if (adjustment && !flags_dead_after(block, *adjustment, flags_live_out)) adjustment.reset(), folded = 0;
  std::int64_t k = 0;
  for (std::size_t j = first; j <= last; ++j) k += member(block[j]);
  using llvm::MCOperand;
  auto add_address = [&](llvm::MCInst& inst, std::int64_t displacement) {
    for (const MCOperand& op : {MCOperand::createReg(n.rsp), MCOperand::createImm(1), MCOperand::createReg(0),
                                MCOperand::createImm(displacement), MCOperand::createReg(0)})
      inst.addOperand(op);
  };
  Rewrite out{{}, {}};
  std::int64_t seen = 0;  // members before this one
  for (std::size_t j = 0; j < block.size(); ++j) {
    if (adjustment && j == *adjustment) continue;
    if (j < first || j > last || !member(block[j])) {
      out.instructions.push_back(block[j]);
      continue;
    }
    llvm::MCInst access;
    if (push) {  // push m stored at old rsp - 8(m+1) = new rsp + 8(k-1-m) + folded
      if (seen == 0) out.instructions.push_back(rsp_lea(-(8 * k + folded)));
      access.setOpcode(static_cast<unsigned>(n.mov64mr));
      add_address(access, 8 * (k - 1 - seen) + folded);
      access.addOperand(block[j].getOperand(0));
      out.instructions.push_back(access);
    } else {  // pop m loads from old rsp + folded + 8m
      access.setOpcode(static_cast<unsigned>(n.mov64rm));
      access.addOperand(block[j].getOperand(0));
      add_address(access, folded + 8 * seen);
      out.instructions.push_back(access);
      if (seen + 1 == k) out.instructions.push_back(rsp_lea(8 * k + folded));
    }
    ++seen;
  }
  const std::size_t from = adjustment ? std::min(first, *adjustment) : first;
  const std::size_t to = adjustment ? std::max(last, *adjustment) : last;
  out.move = "stack " + std::to_string(from) + "-" + std::to_string(to) + (push ? " push->mov" : " pop->mov") +
             (adjustment ? "+fold" : "");
  return out;
}

// An indirect-branch landing pad (CET): a no-op to the emulator, but where it
// stands is the program's contract; never deleted or moved.
bool landing_pad(const llvm::MCInst& inst) {
  const int op = static_cast<int>(inst.getOpcode());
  return op == names().endbr64 || op == names().endbr32;
}

// An explicit memory reference: base, scale, index, displacement, segment.
struct Address {
  unsigned base = 0, scale = 0, index = 0, segment = 0;
  std::int64_t displacement = 0;
};

// The instruction's one explicit memory reference, if it touches memory
// through exactly one (push, pop and string instructions touch it through
// implicit registers: none).
std::optional<Address> explicit_address(const llvm::MCInst& inst) {
  std::optional<Address> found;
  int references = 0;
  block::visit_operands(
      inst, [](unsigned, bool) {},
      [&](unsigned first, bool, bool) {
        ++references;
        const llvm::MCOperand& disp = inst.getOperand(first + 3);
        if (!disp.isImm()) return;  // a symbol: unknown
        found = Address{static_cast<unsigned>(inst.getOperand(first).getReg()),
                        static_cast<unsigned>(inst.getOperand(first + 1).getImm()),
                        static_cast<unsigned>(inst.getOperand(first + 2).getReg()),
                        static_cast<unsigned>(inst.getOperand(first + 4).getReg()), disp.getImm()};
      },
      [](const llvm::MCOperand&) {});
  return references == 1 ? found : std::nullopt;
}

// May two adjacent instructions trade places as far as memory goes? Testing
// on random states almost never makes two addresses meet, so a rewrite that
// reorders a store with another access would pass its tests and be wrong
// whenever they alias (a store through a pointer just loaded, a pop past a
// store): only accesses provably apart are reordered: same base, index,
// scale and segment, displacements at least 64 bytes (the widest access)
// apart. Two loads reorder freely.
bool memory_allows_swap(const llvm::MCInst& a, const llvm::MCInst& b) {
  const llvm::MCInstrInfo& info = block::X86Target::get().instr_info();
  const llvm::MCInstrDesc& da = info.get(a.getOpcode());
  const llvm::MCInstrDesc& db = info.get(b.getOpcode());
  const bool a_memory = da.mayLoad() || da.mayStore(), b_memory = db.mayLoad() || db.mayStore();
  if (!a_memory || !b_memory || (!da.mayStore() && !db.mayStore())) return true;
  const std::optional<Address> x = explicit_address(a), y = explicit_address(b);
  if (!x || !y || x->base != y->base || x->index != y->index || x->scale != y->scale || x->segment != y->segment)
    return false;
  const std::int64_t gap =
      x->displacement > y->displacement ? x->displacement - y->displacement : y->displacement - x->displacement;
  return gap >= 64;
}

// The GPR family (64- or 32-bit, in the same order) `reg` belongs to, or null.
const std::vector<unsigned>* family_of(unsigned reg) {
  const Names& n = names();
  if (std::find(n.gr64.begin(), n.gr64.end(), reg) != n.gr64.end()) return &n.gr64;
  if (std::find(n.gr32.begin(), n.gr32.end(), reg) != n.gr32.end()) return &n.gr32;
  return nullptr;
}

// Registers of `family` that `block` names, other than `reg`, in first-use order.
std::vector<unsigned> other_registers_of(const std::vector<llvm::MCInst>& block, const std::vector<unsigned>& family,
                                         unsigned reg) {
  std::vector<unsigned> used;
  for (const llvm::MCInst& other : block)
    for (unsigned k = 0; k < other.getNumOperands(); ++k)
      if (other.getOperand(k).isReg()) {
        const unsigned r = other.getOperand(k).getReg();
        if (r != reg && std::find(family.begin(), family.end(), r) != family.end() &&
            std::find(used.begin(), used.end(), r) == used.end())
          used.push_back(r);
      }
  return used;
}

// One operand move of block[i]: a register operand -> another GPR of the
// block of the same width. Uniform without a guide; with one, over every
// (operand, register) pair of the instruction by the guide's estimates.
std::optional<Rewrite> operand_move(const std::vector<llvm::MCInst>& block, std::size_t i, std::mt19937_64& rng,
                                    OperandGuide* guide) {
  const llvm::MCInst& inst = block[i];
  std::vector<unsigned> slots;
  for (unsigned k = 0; k < inst.getNumOperands(); ++k)
    if (inst.getOperand(k).isReg() && inst.getOperand(k).getReg() != 0) slots.push_back(k);
  if (slots.empty()) return std::nullopt;
  std::vector<std::pair<unsigned, unsigned>> choices;  // (operand, register)
  if (!guide) {
    const unsigned slot = slots[rng() % slots.size()];
    const unsigned reg = inst.getOperand(slot).getReg();
    const std::vector<unsigned>* family = family_of(reg);
    if (!family) return std::nullopt;
    const std::vector<unsigned> used = other_registers_of(block, *family, reg);
    if (used.empty()) return std::nullopt;
    choices.emplace_back(slot, used[rng() % used.size()]);
  } else {
    std::vector<llvm::MCInst> variants;
    for (unsigned slot : slots) {
      const unsigned reg = inst.getOperand(slot).getReg();
      const std::vector<unsigned>* family = family_of(reg);
      if (!family) continue;
      for (unsigned to : other_registers_of(block, *family, reg)) {
        choices.emplace_back(slot, to);
        variants.push_back(inst);
        variants.back().getOperand(slot).setReg(to);
      }
    }
    if (choices.empty()) return std::nullopt;
    const std::vector<double> estimates = guide->estimate(block, i, variants);
    const double best = *std::min_element(estimates.begin(), estimates.end());
    std::vector<double> weights;
    for (double e : estimates) weights.push_back(std::exp(-(e - best) / kGuideTemperature));
    const std::size_t pick = std::discrete_distribution<std::size_t>(weights.begin(), weights.end())(rng);
    choices = {choices[pick]};
  }
  Rewrite out{block, {}};
  const auto [slot, to] = choices.front();
  out.instructions[i].getOperand(slot).setReg(to);
  out.move = "operand " + std::to_string(i) + "." + std::to_string(slot) + " " +
             block::X86Target::get().reg_info().getName(to);
  return out;
}

}  // namespace

std::optional<Rewrite> random_move(const std::vector<llvm::MCInst>& block, std::mt19937_64& rng, OperandGuide* guide,
                                   bool flags_live_out) {
  if (block.empty()) return std::nullopt;
  const std::size_t i = rng() % block.size();
  Rewrite out{block, {}};
  const unsigned kind = rng() % 4;
  if (kind < 2 && (landing_pad(block[i]) || (kind == 1 && i + 1 < block.size() && landing_pad(block[i + 1]))))
    return std::nullopt;
  switch (kind) {
    case 0:
      if (block.size() < 2) return std::nullopt;
      out.instructions.erase(out.instructions.begin() + static_cast<long>(i));
      out.move = "delete " + std::to_string(i);
      return out;
    case 1:
      if (i + 1 >= block.size() || !memory_allows_swap(block[i], block[i + 1])) return std::nullopt;
      std::swap(out.instructions[i], out.instructions[i + 1]);
      out.move = "swap " + std::to_string(i) + "-" + std::to_string(i + 1);
      return out;
    case 2:
      return operand_move(block, i, rng, guide);
    default: {
      if (auto stack = stack_move(block, i, flags_live_out)) return stack;
      auto cheaper = catalogue(block[i]);
      if (!cheaper) return std::nullopt;
      out.instructions[i] = cheaper->first;
      out.move = "catalogue " + std::to_string(i) + " " + cheaper->second;
      return out;
    }
  }
}

std::string path_with(const std::string& path, const std::string& move) {
  if (move.rfind("swap ", 0) == 0) {
    if (path == move) return "";
    if (path.size() > move.size() && path[path.size() - move.size() - 1] == ';' && path.ends_with(move))
      return path.substr(0, path.size() - move.size() - 1);
  }
  return path.empty() ? move : path + ";" + move;
}

}  // namespace surrogate::optimize
