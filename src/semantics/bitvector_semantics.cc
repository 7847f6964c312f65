#include "semantics/bitvector_semantics.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string_view>

#include "block/x86_operands.h"
#include "block/x86_registers.h"
#include "block/x86_target.h"
#include "semantics/emulator.h"

namespace surrogate::semantics {
namespace {

// The opcode's LLVM name without the suffix of a twin that computes the
// same: the decoder's "_REV" encodings and the "_NOREX" register forms.
std::string plain_name(std::string name) {
  for (const char* suffix : {"_REV", "_NOREX"})
    if (name.size() > std::strlen(suffix) && name.ends_with(suffix)) name.resize(name.size() - std::strlen(suffix));
  return name;
}

// A plain opcode name split as MNEMONIC WIDTH FORM: "ADD64ri8" -> ADD, 64,
// "ri8"; "MOVZX32rr8" -> MOVZX, 32, "rr8"; "SETCCr" -> SETCC, 0, "r";
// "LEA64_32r" -> LEA, 64, "_32r".
struct OpcodeName {
  std::string mnemonic;
  unsigned width = 0;
  std::string form;
};

OpcodeName split(const std::string& name) {
  OpcodeName n;
  std::size_t i = 0;
  while (i < name.size() && std::isupper(static_cast<unsigned char>(name[i]))) ++i;
  n.mnemonic = name.substr(0, i);
  std::size_t j = i;
  while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
  if (j > i) n.width = static_cast<unsigned>(std::stoul(name.substr(i, j - i)));
  n.form = name.substr(j);
  return n;
}

// X86 condition codes (X86::CondCode) as a formula of the flags.
std::optional<z3::expr> condition(const SymbolicState& s, std::int64_t code) {
  const z3::expr &cf = s.flags[kCF], &pf = s.flags[kPF], &zf = s.flags[kZF], &sf = s.flags[kSF], &of = s.flags[kOF];
  switch (code) {
    case 0:
      return of;
    case 1:
      return !of;
    case 2:
      return cf;
    case 3:
      return !cf;
    case 4:
      return zf;
    case 5:
      return !zf;
    case 6:
      return cf || zf;
    case 7:
      return !cf && !zf;
    case 8:
      return sf;
    case 9:
      return !sf;
    case 10:
      return pf;
    case 11:
      return !pf;
    case 12:
      return sf != of;
    case 13:
      return sf == of;
    case 14:
      return zf || sf != of;
    case 15:
      return !zf && sf == of;
    default:
      return std::nullopt;
  }
}

// Where an operand is: a register part, or `bits` of memory at `address`.
struct Place {
  std::optional<block::GprPart> reg;
  std::optional<z3::expr> address;
  unsigned bits = 0;
};

// One instruction applied to one state: the operand and flag plumbing every
// family shares.
class Step {
 public:
  Step(z3::context& z3, const llvm::MCInst& inst, SymbolicState& s, const OpcodeName& name, std::uint64_t next_offset)
      : z3_(z3), inst_(inst), s_(s), name_(name), next_offset_(next_offset) {}

  z3::context& z3() { return z3_; }
  unsigned operands() const { return inst_.getNumOperands(); }
  bool is_register(unsigned i) const {
    return i < operands() && inst_.getOperand(i).isReg() && block::gpr_part(inst_.getOperand(i).getReg());
  }
  bool is_immediate(unsigned i) const { return i < operands() && inst_.getOperand(i).isImm(); }
  block::GprPart part(unsigned i) const { return *block::gpr_part(inst_.getOperand(i).getReg()); }
  std::int64_t immediate(unsigned i) const { return inst_.getOperand(i).getImm(); }

  // The address of the memory reference at operands i..i+4 (base, scale,
  // index, displacement, segment), computed at the width of its registers
  // (64, or 32 with an address-size prefix; `bits` gets it). rip is the
  // next instruction's address; %fs and %gs add their base (the other
  // segments have base 0 in 64-bit mode). Empty, with `why`, for eip and
  // symbols.
  std::optional<z3::expr> address(unsigned i, unsigned* bits, std::string* why) const {
    if (i + block::kMemoryOperands > operands()) return *why = "operands", std::nullopt;
    const llvm::MCOperand &base = inst_.getOperand(i), &scale = inst_.getOperand(i + 1),
                          &index = inst_.getOperand(i + 2), &disp = inst_.getOperand(i + 3),
                          &segment = inst_.getOperand(i + 4);
    if (!base.isReg() || !scale.isImm() || !index.isReg() || !disp.isImm() || !segment.isReg())
      return *why = "an address with a symbol", std::nullopt;
    const llvm::MCRegisterInfo& registers = block::X86Target::get().reg_info();
    const bool rip = base.getReg() != 0 && std::string_view(registers.getName(base.getReg())) == "RIP";
    *bits = 64;
    for (const llvm::MCOperand* r : {&base, &index}) {
      if (r->getReg() == 0 || (rip && r == &base)) continue;
      const auto p = block::gpr_part(r->getReg());
      if (!p || p->shift != 0 || p->bits < 32) return *why = "an address relative to eip", std::nullopt;
      *bits = p->bits;
    }
    z3::expr a = constant(disp.getImm(), *bits);
    if (rip)
      a = a + s_.code_address + constant(static_cast<std::int64_t>(next_offset_), 64);
    else if (base.getReg() != 0)
      a = a + read(*block::gpr_part(base.getReg()));
    if (index.getReg() != 0) a = a + read(*block::gpr_part(index.getReg())) * constant(scale.getImm(), *bits);
    if (segment.getReg() != 0) {
      const std::string_view name = registers.getName(segment.getReg());
      if (name == "FS" || name == "GS") {
        const z3::expr segment_base = name == "FS" ? s_.fs_base : s_.gs_base;
        a = (*bits == 64 ? a : z3::zext(a, 64 - *bits)) + segment_base;
        *bits = 64;
      }
    }
    return a;
  }

  // Operand i as a place: a general-purpose register, or the memory
  // reference starting at i holding `bits`.
  std::optional<Place> register_at(unsigned i) const {
    if (!is_register(i)) return std::nullopt;
    return Place{part(i), std::nullopt, part(i).bits};
  }
  std::optional<Place> memory_at(unsigned i, unsigned bits, std::string* why) const {
    unsigned address_bits = 64;
    std::optional<z3::expr> a = address(i, &address_bits, why);
    if (!a) return std::nullopt;
    return Place{std::nullopt, address_bits == 64 ? *a : z3::zext(*a, 64 - address_bits), bits};
  }

  z3::expr read(const block::GprPart& p) const { return s_.gpr[p.index].extract(p.shift + p.bits - 1, p.shift); }
  z3::expr read(unsigned i) const { return read(part(i)); }
  bool is_xmm(unsigned i) const {
    return i < operands() && inst_.getOperand(i).isReg() && block::xmm_index(inst_.getOperand(i).getReg());
  }
  z3::expr& xmm(unsigned i) { return s_.xmm[*block::xmm_index(inst_.getOperand(i).getReg())]; }

  // Little-endian: the byte at the address is the low byte. An aligned
  // place faults unless its address is a multiple of 16 (movaps, movdqa).
  z3::expr read(const Place& p, bool aligned = false) {
    if (p.reg) return read(*p.reg);
    note_access(*p.address, p.bits / 8, aligned);
    z3::expr v = z3::select(s_.memory, *p.address);
    for (unsigned k = 1; k < p.bits / 8; ++k)
      v = z3::concat(z3::select(s_.memory, *p.address + static_cast<int>(k)), v);
    return v;
  }
  z3::expr constant(std::int64_t value, unsigned bits) const {
    const std::uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    return z3_.bv_val(static_cast<std::uint64_t>(value) & mask, bits);
  }
  // A 32-bit write zeroes bits 32-63; 8- and 16-bit writes keep the rest.
  void write(const block::GprPart& p, const z3::expr& value) {
    z3::expr& r = s_.gpr[p.index];
    if (p.bits == 64) {
      r = value;
    } else if (p.bits == 32) {
      r = z3::zext(value, 32);
    } else {
      const unsigned top = p.shift + p.bits;
      z3::expr merged = value;
      if (p.shift > 0) merged = z3::concat(merged, r.extract(p.shift - 1, 0));
      r = z3::concat(r.extract(63, top), merged);
    }
  }
  void write(unsigned i, const z3::expr& value) { write(part(i), value); }
  void write(const Place& p, const z3::expr& value, bool aligned = false) {
    if (p.reg) return write(*p.reg, value);
    note_access(*p.address, p.bits / 8, aligned);
    for (unsigned k = 0; k < p.bits / 8; ++k)
      s_.memory = z3::store(s_.memory, *p.address + static_cast<int>(k), value.extract(8 * k + 7, 8 * k));
  }

  z3::expr& flag(Flag f) { return s_.flags[f]; }
  // An undefined flag: a function of this instruction's name, the flag and
  // `inputs`, the same for the same computation.
  z3::expr undefined(Flag f, const std::vector<z3::expr>& inputs) const {
    const std::string fn = name_.mnemonic + std::to_string(name_.width) + "_undefined_" + kFlagName[f];
    z3::sort_vector domain(z3_);
    z3::expr_vector args(z3_);
    for (const z3::expr& e : inputs) {
      domain.push_back(e.get_sort());
      args.push_back(e);
    }
    return z3_.function(fn.c_str(), domain, z3_.bool_sort())(args);
  }
  static z3::expr bit(const z3::expr& v, unsigned i) { return v.extract(i, i) == 1; }
  static z3::expr msb(const z3::expr& v) { return bit(v, v.get_sort().bv_size() - 1); }
  // ZF, SF and PF of a result (PF: the low byte has an even number of ones).
  void set_result_flags(const z3::expr& r) {
    flag(kZF) = r == 0;
    flag(kSF) = msb(r);
    z3::expr parity = r.extract(0, 0);
    for (unsigned b = 1; b < 8; ++b) parity = parity ^ r.extract(b, b);
    flag(kPF) = parity == 0;
  }
  SymbolicState& state() { return s_; }

 private:
  void note_access(const z3::expr& address, unsigned bytes, bool aligned = false) {
    s_.accesses.push_back({address, address + static_cast<int>(bytes - 1), aligned});
  }

  z3::context& z3_;
  const llvm::MCInst& inst_;
  SymbolicState& s_;
  const OpcodeName& name_;
  std::uint64_t next_offset_;
};

bool width_ok(unsigned w) { return w == 8 || w == 16 || w == 32 || w == 64; }
bool is_immediate_form(const std::string& f, const char* stem) {
  const std::string s(stem);
  return f == s || f == s + "8" || f == s + "32";
}

// add, adc, sub, sbb, and, or, xor, cmp, test.
std::string binary_alu(Step& st, const OpcodeName& n) {
  const std::string& m = n.mnemonic;
  const bool writes = m != "CMP" && m != "TEST";
  const unsigned w = n.width;
  std::optional<Place> dst, a;
  std::optional<z3::expr> b;
  std::string why = "operands of " + m + n.form;
  const unsigned first = writes ? 1 : 0;  // operand index of the first source in the register forms
  if (n.form == "rr" || is_immediate_form(n.form, "ri") || n.form == "rm") {
    a = st.register_at(first);
    if (writes) dst = st.register_at(0);
    if (n.form == "rr" && st.is_register(first + 1)) {
      b = st.read(first + 1);
    } else if (n.form == "rm") {
      if (const auto mem = st.memory_at(first + 1, w, &why)) b = st.read(*mem);
    } else if (st.is_immediate(first + 1)) {
      b = st.constant(st.immediate(first + 1), w);
    }
  } else if (n.form == "mr" || is_immediate_form(n.form, "mi")) {
    a = st.memory_at(0, w, &why);
    if (writes) dst = a;
    const unsigned source = block::kMemoryOperands;
    if (n.form == "mr" && st.is_register(source))
      b = st.read(source);
    else if (n.form != "mr" && st.is_immediate(source))
      b = st.constant(st.immediate(source), w);
  } else if (n.form == "i8" || n.form == "i16" || n.form == "i32") {
    a = Place{block::GprPart{0, w, 0}, std::nullopt, w};  // al, ax, eax, rax
    if (writes) dst = a;
    if (st.is_immediate(0)) b = st.constant(st.immediate(0), w);
  }
  if (!a || !b || (writes && !dst)) return why;
  const z3::expr x = st.read(*a), y = *b;
  z3::expr r(st.z3());
  const z3::expr carry_in = z3::ite(st.flag(kCF), st.constant(1, w), st.constant(0, w));
  if (m == "ADD" || m == "ADC") {
    const z3::expr c = m == "ADC" ? carry_in : st.constant(0, w);
    r = x + y + c;
    const z3::expr wide = z3::zext(x, 1) + z3::zext(y, 1) + z3::zext(c, 1);
    st.flag(kCF) = Step::bit(wide, w);
    st.flag(kOF) = Step::msb((x ^ r) & (y ^ r));
    st.flag(kAF) = Step::bit(x ^ y ^ r, 4);
  } else if (m == "SUB" || m == "SBB" || m == "CMP") {
    const z3::expr c = m == "SBB" ? carry_in : st.constant(0, w);
    r = x - y - c;
    st.flag(kCF) = z3::ult(z3::zext(x, 1), z3::zext(y, 1) + z3::zext(c, 1));
    st.flag(kOF) = Step::msb((x ^ y) & (x ^ r));
    st.flag(kAF) = Step::bit(x ^ y ^ r, 4);
  } else {
    r = m == "AND" || m == "TEST" ? (x & y) : m == "OR" ? (x | y) : (x ^ y);
    st.flag(kCF) = st.z3().bool_val(false);
    st.flag(kOF) = st.z3().bool_val(false);
    st.flag(kAF) = st.undefined(kAF, {x, y});
  }
  st.set_result_flags(r);
  if (dst) st.write(*dst, r);
  return "";
}

// inc, dec, neg, not of a register or of memory (read and written).
std::string unary_alu(Step& st, const OpcodeName& n) {
  const unsigned w = n.width;
  std::string why = "operands of " + n.mnemonic + n.form;
  std::optional<Place> place;
  if (n.form == "r" && st.is_register(1))
    place = st.register_at(0);
  else if (n.form == "m")
    place = st.memory_at(0, w, &why);
  if (!place) return why;
  const z3::expr a = st.read(*place);
  const z3::expr min = st.constant(std::int64_t(1) << (w - 1), w);  // the most negative value
  z3::expr r(st.z3());
  if (n.mnemonic == "NOT") {
    st.write(*place, ~a);
    return "";
  }
  if (n.mnemonic == "INC") {
    r = a + 1;
    st.flag(kOF) = r == min;
    st.flag(kAF) = Step::bit(a ^ st.constant(1, w) ^ r, 4);
  } else if (n.mnemonic == "DEC") {
    r = a - 1;
    st.flag(kOF) = a == min;
    st.flag(kAF) = Step::bit(a ^ st.constant(1, w) ^ r, 4);
  } else {  // NEG
    r = st.constant(0, w) - a;
    st.flag(kCF) = a != 0;
    st.flag(kOF) = a == min;
    st.flag(kAF) = Step::bit(a ^ r, 4);
  }
  st.set_result_flags(r);
  st.write(*place, r);
  return "";
}

// shl, shr, sar, rol, ror of a register or memory, by an immediate, by 1 or
// by cl. The count is masked to 5 bits (6 for 64-bit operands); a count of
// 0 changes nothing.
std::string shift(Step& st, const OpcodeName& n) {
  const unsigned w = n.width;
  std::string why = "operands of " + n.mnemonic + n.form;
  std::optional<Place> place;
  unsigned count_operand = 0;  // of the immediate forms
  if (!n.form.empty() && n.form[0] == 'r' && st.is_register(1)) {
    place = st.register_at(0);
    count_operand = 2;
  } else if (!n.form.empty() && n.form[0] == 'm') {
    place = st.memory_at(0, w, &why);
    count_operand = block::kMemoryOperands;
  }
  const std::string count_form = n.form.substr(1);
  z3::expr count8(st.z3());
  if (count_form == "i" && st.is_immediate(count_operand))
    count8 = st.constant(st.immediate(count_operand), 8);
  else if (count_form == "1")
    count8 = st.constant(1, 8);
  else if (count_form == "CL")
    count8 = st.read(block::GprPart{1, 8, 0});
  else
    place.reset();
  if (!place) return why;
  const z3::expr c8 = count8 & st.constant(w == 64 ? 63 : 31, 8);
  const z3::expr c = w > 8 ? z3::zext(c8, w - 8) : c8;  // the masked count at the operand's width
  const z3::expr a = st.read(*place);
  const z3::expr zero = c8 == 0, one = c8 == 1;
  const std::string& m = n.mnemonic;
  const std::vector<z3::expr> inputs{a, c8};
  z3::expr r(st.z3()), cf(st.z3()), of(st.z3());
  const z3::expr width = st.constant(w, w);
  if (m == "SHL" || m == "SHR" || m == "SAR") {
    // The last bit shifted out; undefined for SHL/SHR (and here SAR) once
    // the count reaches the width (8- and 16-bit operands only).
    const z3::expr in_range = z3::ult(c, width);
    if (m == "SHL") {
      r = z3::shl(a, c);
      cf = Step::bit(z3::lshr(a, width - c), 0);
      of = Step::msb(r) != cf;
    } else {
      r = m == "SHR" ? z3::lshr(a, c) : z3::ashr(a, c);
      cf = Step::bit(z3::lshr(a, c - 1), 0);
      of = m == "SHR" ? Step::msb(a) : st.z3().bool_val(false);
    }
    cf = z3::ite(in_range, cf, st.undefined(kCF, inputs));
    st.flag(kAF) = z3::ite(zero, st.flag(kAF), st.undefined(kAF, inputs));
    const z3::expr old_zf = st.flag(kZF), old_sf = st.flag(kSF), old_pf = st.flag(kPF);
    st.set_result_flags(r);
    st.flag(kZF) = z3::ite(zero, old_zf, st.flag(kZF));
    st.flag(kSF) = z3::ite(zero, old_sf, st.flag(kSF));
    st.flag(kPF) = z3::ite(zero, old_pf, st.flag(kPF));
  } else {  // ROL, ROR: by the count modulo the width; SF, ZF, AF, PF kept
    const z3::expr k = z3::urem(c, width);
    if (m == "ROL") {
      r = z3::shl(a, k) | z3::lshr(a, width - k);
      cf = Step::bit(r, 0);
      of = Step::msb(r) != cf;
    } else {
      r = z3::lshr(a, k) | z3::shl(a, width - k);
      cf = Step::msb(r);
      of = Step::msb(r) != Step::bit(r, w - 2);
    }
  }
  st.flag(kCF) = z3::ite(zero, st.flag(kCF), cf);
  st.flag(kOF) = z3::ite(zero, st.flag(kOF), z3::ite(one, of, st.undefined(kOF, inputs)));
  st.write(*place, r);
  return "";
}

// imul dst, src (rr, rm) and imul dst, src, imm (rri*, rmi*): CF = OF =
// the signed product does not fit; SF, ZF, AF, PF undefined.
std::string multiply(Step& st, const OpcodeName& n) {
  const unsigned w = n.width;
  std::string why = "operands of IMUL" + n.form;
  std::optional<z3::expr> a, b;
  if (!st.is_register(0)) return why;
  if (n.form == "rr" && st.is_register(1) && st.is_register(2)) {
    a = st.read(1);
    b = st.read(2);
  } else if (is_immediate_form(n.form, "rri") && st.is_register(1) && st.is_immediate(2)) {
    a = st.read(1);
    b = st.constant(st.immediate(2), w);
  } else if (n.form == "rm" && st.is_register(1)) {
    a = st.read(1);
    if (const auto mem = st.memory_at(2, w, &why)) b = st.read(*mem);
  } else if (is_immediate_form(n.form, "rmi") && st.is_immediate(1 + block::kMemoryOperands)) {
    if (const auto mem = st.memory_at(1, w, &why)) a = st.read(*mem);
    b = st.constant(st.immediate(1 + block::kMemoryOperands), w);
  }
  if (!a || !b) return why;
  const z3::expr full = z3::sext(*a, w) * z3::sext(*b, w);
  const z3::expr r = full.extract(w - 1, 0);
  const z3::expr overflow = full != z3::sext(r, w);
  st.flag(kCF) = overflow;
  st.flag(kOF) = overflow;
  for (Flag f : {kSF, kZF, kAF, kPF}) st.flag(f) = st.undefined(f, {*a, *b});
  st.write(0, r);
  return "";
}

// lea dst, [base + index * scale + disp]: no memory access, no flags.
std::string load_effective_address(Step& st) {
  std::string why;
  unsigned bits = 64;
  if (!st.is_register(0)) return "operands of LEA";
  const std::optional<z3::expr> address = st.address(1, &bits, &why);
  if (!address) return why;
  const block::GprPart dst = st.part(0);
  st.write(dst, dst.bits <= bits ? address->extract(dst.bits - 1, 0) : z3::zext(*address, dst.bits - bits));
  return "";
}

// push and pop of a 64-bit register or immediate: rsp moves by 8 and the
// value goes to or comes from [rsp].
std::string stack(Step& st, const OpcodeName& n) {
  const block::GprPart rsp{4, 64, 0};
  std::string why;
  if (n.width != 64) return "the instruction " + n.mnemonic + std::to_string(n.width) + n.form;
  if (n.mnemonic == "PUSH" && (n.form == "r" || n.form == "i8" || n.form == "i32")) {
    const bool reg = n.form == "r";
    if (reg ? !st.is_register(0) : !st.is_immediate(0)) return "operands of PUSH" + n.form;
    const z3::expr value = reg ? st.read(0) : st.constant(st.immediate(0), 64);  // push rsp pushes the old rsp
    const z3::expr top = st.read(rsp) - 8;
    st.write(rsp, top);
    st.write(Place{std::nullopt, top, 64}, value);
    return "";
  }
  if (n.mnemonic == "POP" && n.form == "r" && st.is_register(0)) {
    const z3::expr top = st.read(rsp);
    const z3::expr value = st.read(Place{std::nullopt, top, 64});
    st.write(rsp, top + 8);
    st.write(0, value);  // pop rsp: rsp is the value read
    return "";
  }
  return "the instruction " + n.mnemonic + std::to_string(n.width) + n.form;
}

// The SSE moves and logic of 128 bits, and movq/movd between GPRs, memory
// and xmm. Empty optional: not one of them.
std::optional<std::string> sse(Step& st, const std::string& name) {
  static const std::vector<std::string> kCopies = {"MOVAPS", "MOVUPS", "MOVDQA", "MOVDQU", "MOVAPD", "MOVUPD"};
  static const std::vector<std::string> kXor = {"PXOR", "XORPS", "XORPD"}, kAnd = {"PAND", "ANDPS", "ANDPD"},
                                        kOr = {"POR", "ORPS", "ORPD"};
  const auto in = [](const std::vector<std::string>& names, const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::string why = "operands of " + name;
  if (name.size() > 2) {
    const std::string stem = name.substr(0, name.size() - 2), form = name.substr(name.size() - 2);
    const bool aligned = stem == "MOVAPS" || stem == "MOVDQA" || stem == "MOVAPD";
    if (in(kCopies, stem)) {
      if (form == "rr" && st.is_xmm(0) && st.is_xmm(1)) {
        st.xmm(0) = z3::expr(st.xmm(1));
      } else if (form == "rm" && st.is_xmm(0)) {
        const auto mem = st.memory_at(1, 128, &why);
        if (!mem) return why;
        st.xmm(0) = st.read(*mem, aligned);
      } else if (form == "mr" && st.is_xmm(block::kMemoryOperands)) {
        const auto mem = st.memory_at(0, 128, &why);
        if (!mem) return why;
        st.write(*mem, z3::expr(st.xmm(block::kMemoryOperands)), aligned);
      } else {
        return why;
      }
      return std::string();
    }
    if ((in(kXor, stem) || in(kAnd, stem) || in(kOr, stem)) && form == "rr") {
      if (!st.is_xmm(0) || !st.is_xmm(1) || !st.is_xmm(2)) return why;
      const z3::expr a = st.xmm(1), b = st.xmm(2);
      st.xmm(0) = in(kXor, stem) ? (a ^ b) : in(kAnd, stem) ? (a & b) : (a | b);
      return std::string();
    }
  }
  if (name == "MOV64toPQIrr" || name == "MOVDI2PDIrr") {  // movq/movd gpr -> xmm, upper bits zeroed
    if (!st.is_xmm(0) || !st.is_register(1)) return why;
    const z3::expr v = st.read(1);
    st.xmm(0) = z3::zext(v, 128 - v.get_sort().bv_size());
    return std::string();
  }
  if (name == "MOVPQIto64rr" || name == "MOVPDI2DIrr") {  // movq/movd xmm -> gpr
    if (!st.is_register(0) || !st.is_xmm(1)) return why;
    st.write(0, st.xmm(1).extract(st.part(0).bits - 1, 0));
    return std::string();
  }
  if (name == "MOVZPQILo2PQIrr") {  // movq xmm -> xmm: the low half, the upper zeroed
    if (!st.is_xmm(0) || !st.is_xmm(1)) return why;
    st.xmm(0) = z3::zext(st.xmm(1).extract(63, 0), 64);
    return std::string();
  }
  if (name == "MOVQI2PQIrm" || name == "MOVDI2PDIrm") {  // movq/movd memory -> xmm
    const unsigned bits = name == "MOVQI2PQIrm" ? 64 : 32;
    if (!st.is_xmm(0)) return why;
    const auto mem = st.memory_at(1, bits, &why);
    if (!mem) return why;
    st.xmm(0) = z3::zext(st.read(*mem), 128 - bits);
    return std::string();
  }
  if (name == "MOVPQI2QImr" || name == "MOVPDI2DImr") {  // movq/movd xmm -> memory
    const unsigned bits = name == "MOVPQI2QImr" ? 64 : 32;
    if (!st.is_xmm(block::kMemoryOperands)) return why;
    const auto mem = st.memory_at(0, bits, &why);
    if (!mem) return why;
    st.write(*mem, st.xmm(block::kMemoryOperands).extract(bits - 1, 0));
    return std::string();
  }
  return std::nullopt;
}

// mov, movzx, movsx, cmov, setcc, xchg, bswap, the sign extensions.
std::string data_movement(Step& st, const OpcodeName& n) {
  const std::string& m = n.mnemonic;
  const unsigned w = n.width;
  std::string why = "operands of " + m + n.form;
  if (m == "MOV") {
    std::optional<Place> dst;
    std::optional<z3::expr> value;
    if (n.form == "rr" && st.is_register(1)) {
      dst = st.register_at(0);
      value = st.read(1);
    } else if ((n.form == "ri" || n.form == "ri32") && st.is_immediate(1)) {
      dst = st.register_at(0);
      value = st.constant(st.immediate(1), w);
    } else if (n.form == "rm") {
      dst = st.register_at(0);
      if (const auto mem = st.memory_at(1, w, &why)) value = st.read(*mem);
    } else if (n.form == "mr" && st.is_register(block::kMemoryOperands)) {
      dst = st.memory_at(0, w, &why);
      value = st.read(block::kMemoryOperands);
    } else if ((n.form == "mi" || n.form == "mi32") && st.is_immediate(block::kMemoryOperands)) {
      dst = st.memory_at(0, w, &why);
      value = st.constant(st.immediate(block::kMemoryOperands), w);
    }
    if (!dst || !value) return why;
    st.write(*dst, *value);
    return "";
  }
  if (m == "MOVZX" || m == "MOVSX") {
    const std::string source = n.form.size() > 2 ? n.form.substr(2) : "";
    const unsigned from = source == "8" ? 8 : source == "16" ? 16 : source == "32" ? 32 : 0;
    if (from == 0 || from >= w || !st.is_register(0)) return why;
    std::optional<z3::expr> v;
    if (n.form.rfind("rr", 0) == 0 && st.is_register(1))
      v = st.read(1);
    else if (n.form.rfind("rm", 0) == 0)
      if (const auto mem = st.memory_at(1, from, &why)) v = st.read(*mem);
    if (!v) return why;
    st.write(0, m == "MOVZX" ? z3::zext(*v, w - from) : z3::sext(*v, w - from));
    return "";
  }
  if (m == "CMOV" && (n.form == "rr" || n.form == "rm") && st.is_register(0) && st.is_register(1)) {
    // The memory form loads whatever the condition (and may fault).
    std::optional<z3::expr> source;
    unsigned code_operand = 3;
    if (n.form == "rr" && st.is_register(2)) {
      source = st.read(2);
    } else if (n.form == "rm") {
      if (const auto mem = st.memory_at(2, w, &why)) source = st.read(*mem);
      code_operand = 2 + block::kMemoryOperands;
    }
    if (!source || !st.is_immediate(code_operand)) return why;
    const auto cond = condition(st.state(), st.immediate(code_operand));
    if (!cond) return "a condition code";
    st.write(0, z3::ite(*cond, *source, st.read(1)));  // a 32-bit cmov zero-extends either way
    return "";
  }
  if (m == "SETCC" && (n.form == "r" || n.form == "m")) {
    const std::optional<Place> dst = n.form == "r" ? st.register_at(0) : st.memory_at(0, 8, &why);
    const unsigned code_operand = n.form == "r" ? 1 : block::kMemoryOperands;
    if (!dst || !st.is_immediate(code_operand)) return why;
    const auto cond = condition(st.state(), st.immediate(code_operand));
    if (!cond) return "a condition code";
    st.write(*dst, z3::ite(*cond, st.constant(1, 8), st.constant(0, 8)));
    return "";
  }
  if (m == "XCHG" && n.form == "rr" && st.operands() == 4 && st.is_register(2) && st.is_register(3)) {
    const z3::expr first = st.read(2), second = st.read(3);
    st.write(0, second);
    st.write(1, first);
    return "";
  }
  if (m == "XCHG" && n.form == "ar" && st.is_register(0)) {
    const block::GprPart acc{0, w, 0};
    const z3::expr reg = st.read(0), a = st.read(acc);
    st.write(0, a);
    st.write(acc, reg);
    return "";
  }
  if (m == "BSWAP" && n.form == "r" && st.is_register(0)) {
    const z3::expr v = st.read(st.is_register(1) ? 1 : 0);
    z3::expr r = v.extract(7, 0);
    for (unsigned byte = 1; byte < w / 8; ++byte) r = z3::concat(r, v.extract(8 * byte + 7, 8 * byte));
    st.write(0, r);
    return "";
  }
  // cbw cwde cdqe: sign-extend the accumulator's lower half into it; cwd
  // cdq cqo: fill dx/edx/rdx with the accumulator's sign.
  struct Extension {
    const char* name;
    unsigned bits;
    bool into_rdx;
  };
  for (const Extension& e : {Extension{"CBW", 16, false}, Extension{"CWDE", 32, false}, Extension{"CDQE", 64, false},
                             Extension{"CWD", 16, true}, Extension{"CDQ", 32, true}, Extension{"CQO", 64, true}}) {
    if (m != e.name || n.width != 0) continue;
    if (e.into_rdx) {
      const z3::expr a = st.read(block::GprPart{0, e.bits, 0});
      st.write(block::GprPart{2, e.bits, 0}, z3::ashr(a, static_cast<int>(e.bits - 1)));
    } else {
      const z3::expr half = st.read(block::GprPart{0, e.bits / 2, 0});
      st.write(block::GprPart{0, e.bits, 0}, z3::sext(half, e.bits / 2));
    }
    return "";
  }
  return "the instruction " + m + (w ? std::to_string(w) : "") + n.form;
}

}  // namespace

SymbolicState BitvectorSemantics::any_state() const {
  SymbolicState s{{},
                  {},
                  {},
                  z3_.constant("memory", z3_.array_sort(z3_.bv_sort(64), z3_.bv_sort(8))),
                  z3_.bv_const("code_address", 64),
                  z3_.bv_const("fs_base", 64),
                  z3_.bv_const("gs_base", 64),
                  {}};
  for (int i = 0; i < 16; ++i) s.gpr.push_back(z3_.bv_const(gpr_name(i), 64));
  for (unsigned f = 0; f < kFlagCount; ++f) s.flags.push_back(z3_.bool_const(kFlagName[f]));
  for (int i = 0; i < 16; ++i) s.xmm.push_back(z3_.bv_const(("xmm" + std::to_string(i)).c_str(), 128));
  return s;
}

SymbolicState BitvectorSemantics::state_of(const MachineState& state,
                                           const std::vector<std::uint64_t>& addresses) const {
  z3::expr memory(z3_, Z3_mk_const_array(z3_, z3_.bv_sort(64), z3_.bv_val(0, 8)));
  for (std::uint64_t a : addresses)
    memory = z3::store(memory, z3_.bv_val(a, 64), z3_.bv_val(initial_memory_byte(state, a), 8));
  SymbolicState s{{}, {}, {}, memory, z3_.bv_val(Emulator::kCodeAddress, 64), z3_.bv_val(0, 64), z3_.bv_val(0, 64), {}};
  for (int i = 0; i < 16; ++i) s.gpr.push_back(z3_.bv_val(state.gpr[i], 64));
  for (unsigned f = 0; f < kFlagCount; ++f) s.flags.push_back(z3_.bool_val((state.flags >> kFlagBit[f]) & 1));
  for (int i = 0; i < 16; ++i)
    s.xmm.push_back(z3::concat(z3_.bv_val(state.xmm[i][1], 64), z3_.bv_val(state.xmm[i][0], 64)));
  return s;
}

MachineState BitvectorSemantics::values_of(const SymbolicState& s, std::uint64_t* known_flags) const {
  MachineState m;
  *known_flags = 0;
  for (int i = 0; i < 16; ++i) {
    const z3::expr v = s.gpr[i].simplify();
    if (v.is_numeral()) m.gpr[i] = v.get_numeral_uint64();
  }
  for (int i = 0; i < 16; ++i) {
    const z3::expr low = s.xmm[i].extract(63, 0).simplify(), high = s.xmm[i].extract(127, 64).simplify();
    if (low.is_numeral() && high.is_numeral()) m.xmm[i] = {low.get_numeral_uint64(), high.get_numeral_uint64()};
  }
  for (unsigned f = 0; f < kFlagCount; ++f) {
    const z3::expr v = s.flags[f].simplify();
    if (v.is_true() || v.is_false()) {
      *known_flags |= 1ull << kFlagBit[f];
      if (v.is_true()) m.flags |= 1ull << kFlagBit[f];
    }
  }
  return m;
}

std::string BitvectorSemantics::apply(const llvm::MCInst& inst, SymbolicState& s, std::uint64_t next_offset) const {
  const block::X86Target& x86 = block::X86Target::get();
  if (inst.getFlags() & (block::kLockPrefixFlag | block::kRepeatPrefixFlag | block::kRepeatNePrefixFlag))
    return "a lock or rep prefix";
  const std::string full_name = plain_name(x86.opcode_name(x86.canonical_opcode(inst.getOpcode())));
  const OpcodeName n = split(full_name);
  const std::string& m = n.mnemonic;
  // Without effect on registers and flags (the nop forms name an address
  // they do not access).
  if (m == "NOOP" || m == "NOOPW" || m == "NOOPL" || m == "NOOPQ" || m == "ENDBR") return "";
  Step st(z3_, inst, s, n, next_offset);
  if (const std::optional<std::string> why = sse(st, full_name)) return *why;
  if (m == "ADD" || m == "ADC" || m == "SUB" || m == "SBB" || m == "AND" || m == "OR" || m == "XOR" || m == "CMP" ||
      m == "TEST")
    return width_ok(n.width) ? binary_alu(st, n) : "the instruction " + m + n.form;
  if (m == "INC" || m == "DEC" || m == "NEG" || m == "NOT")
    return width_ok(n.width) ? unary_alu(st, n) : "the instruction " + m + n.form;
  if (m == "SHL" || m == "SHR" || m == "SAR" || m == "ROL" || m == "ROR")
    return width_ok(n.width) ? shift(st, n) : "the instruction " + m + n.form;
  if (m == "IMUL" && n.width >= 16 && width_ok(n.width)) return multiply(st, n);
  if (m == "LEA" && (n.width == 64 || n.width == 32 || n.width == 16)) return load_effective_address(st);
  if (m == "PUSH" || m == "POP") return stack(st, n);
  if ((m == "MOV" || m == "XCHG" || m == "BSWAP" || m == "CMOV") && !width_ok(n.width))
    return "the instruction " + m + n.form;
  return data_movement(st, n);
}

}  // namespace surrogate::semantics
