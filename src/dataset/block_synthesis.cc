#include "dataset/block_synthesis.h"

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <stdexcept>

#include "block/decoder.h"
#include "block/dependencies.h"
#include "block/machine_code_encoder.h"
#include "block/x86_target.h"
#include "llvm/MC/MCInst.h"
#include "llvm/MC/MCInstrDesc.h"
#include "mca/cpu_params.h"
#include "mca/simulator.h"

namespace surrogate::dataset {

std::string_view name_of(BlockShape shape) {
  switch (shape) {
    case BlockShape::kChain:
      return "chain";
    case BlockShape::kIndependent:
      return "independent";
    case BlockShape::kPointerChase:
      return "pointer-chase";
    case BlockShape::kMixed:
      return "mixed";
    case BlockShape::kForkJoin:
      return "fork-join";
  }
  return "?";
}

namespace {

// The register pool, by slot: slot s of a file is one register in every width.
constexpr std::size_t kGprSlots = 14, kVectorSlots = 16, kMaskSlots = 7;
constexpr const char* kGpr[4][kGprSlots] = {
    {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"},
    {"EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "R8D", "R9D", "R10D", "R11D", "R12D", "R13D", "R14D", "R15D"},
    {"AX", "BX", "CX", "DX", "SI", "DI", "R8W", "R9W", "R10W", "R11W", "R12W", "R13W", "R14W", "R15W"},
    {"AL", "BL", "CL", "DL", "SIL", "DIL", "R8B", "R9B", "R10B", "R11B", "R12B", "R13B", "R14B", "R15B"}};

enum File { kGprFile, kVectorFile, kMaskFile, kFiles, kNoFile = kFiles };
constexpr std::size_t kSlots[kFiles] = {kGprSlots, kVectorSlots, kMaskSlots};

// How an operand is filled.
enum class OperandKind { kRegister, kMemory, kImmediate, kTied, kMemoryTail };

// Instruction sets told apart by the encoding (the CPU must have them).
enum class Encoding { kLegacy, kVex, kEvex, kXop, kKinds };

Encoding encoding_of(const std::vector<std::uint8_t>& bytes) {
  std::size_t i = 0;
  auto legacy_prefix = [](std::uint8_t b) {
    return b == 0x66 || b == 0x67 || b == 0xF2 || b == 0xF3 || b == 0xF0 || b == 0x2E || b == 0x36 || b == 0x3E ||
           b == 0x26 || b == 0x64 || b == 0x65;
  };
  while (i < bytes.size() && legacy_prefix(bytes[i])) ++i;
  if (i >= bytes.size()) return Encoding::kLegacy;
  if (bytes[i] == 0xC4 || bytes[i] == 0xC5) return Encoding::kVex;
  if (bytes[i] == 0x62) return Encoding::kEvex;
  if (bytes[i] == 0x8F && i + 1 < bytes.size() && (bytes[i + 1] & 0x1F) >= 8) return Encoding::kXop;
  return Encoding::kLegacy;
}

}  // namespace

struct BlockSynthesizer::Impl {
  const block::X86Target& target = block::X86Target::get();
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget;
  mca::Simulator simulator;
  block::MachineCodeEncoder encoder;
  block::Decoder decoder;
  std::mt19937_64 rng;
  // registers[file][slot][width]: the slot's register of each width (0: none).
  std::vector<std::vector<std::vector<unsigned>>> registers;
  std::vector<File> file_of_class;  // register class id -> its file, kNoFile if the pool has none of it
  struct Opcode {
    unsigned opcode;
    std::vector<OperandKind> kinds;
  };
  std::vector<Opcode> pool;
  std::array<std::vector<std::size_t>, static_cast<std::size_t>(Encoding::kKinds)> by_encoding;  // pool indices
  std::vector<std::size_t> encodings;  // the instruction sets (indices of by_encoding) with opcodes
  // For fork_join(), pool indices by register file: register-to-register
  // copies, then by instruction set (as next() draws: a set, then an
  // opcode of it) joins (a write and two reads, all registers of the file:
  // two-address or VEX three-operand forms) and any opcode whose first
  // operand writes a register of the file.
  using BySet = std::array<std::vector<std::size_t>, static_cast<std::size_t>(Encoding::kKinds)>;
  std::array<std::vector<std::size_t>, kFiles> copies;
  std::array<BySet, kFiles> joins, writers;
  std::set<std::vector<std::uint8_t>> emitted;

  Impl(const std::string& cpu, std::uint64_t seed) : simulator(stock_params(cpu)), rng(seed) {
    subtarget = target.make_subtarget(cpu);
    make_register_pool();
    make_opcode_pool();
    for (std::size_t e = 0; e < by_encoding.size(); ++e)
      if (!by_encoding[e].empty()) encodings.push_back(e);
  }

  static mca::CpuParams stock_params(const std::string& cpu) {
    try {
      return mca::CpuParams::stock(cpu);
    } catch (const std::exception& e) {
      throw std::invalid_argument(e.what());
    }
  }

  unsigned register_named(const std::string& name) const {
    const llvm::MCRegisterInfo& ri = target.reg_info();
    for (unsigned r = 1; r < ri.getNumRegs(); ++r)
      if (name == ri.getName(r)) return r;
    return 0;
  }

  void make_register_pool() {
    registers.assign(kFiles, {});
    for (std::size_t s = 0; s < kGprSlots; ++s)
      registers[kGprFile].push_back({register_named(kGpr[0][s]), register_named(kGpr[1][s]), register_named(kGpr[2][s]),
                                     register_named(kGpr[3][s])});
    for (std::size_t s = 0; s < kVectorSlots; ++s) {
      const std::string n = std::to_string(s);
      registers[kVectorFile].push_back(
          {register_named("ZMM" + n), register_named("YMM" + n), register_named("XMM" + n)});
    }
    for (std::size_t s = 0; s < kMaskSlots; ++s)
      registers[kMaskFile].push_back({register_named("K" + std::to_string(s + 1))});
    const llvm::MCRegisterInfo& ri = target.reg_info();
    file_of_class.assign(ri.getNumRegClasses(), kNoFile);
    for (unsigned c = 0; c < ri.getNumRegClasses(); ++c)
      for (int f = 0; f < kFiles && file_of_class[c] == kNoFile; ++f)
        for (const auto& slot : registers[f])
          for (unsigned r : slot)
            if (r && ri.getRegClass(c).contains(r)) file_of_class[c] = static_cast<File>(f);
  }

  // The operand kinds of `opcode`, or empty if the pool cannot fill one.
  std::vector<OperandKind> operand_kinds(const llvm::MCInstrDesc& d) const {
    std::vector<OperandKind> kinds;
    const auto ops = d.operands();
    for (unsigned i = 0; i < ops.size(); ++i) {
      const llvm::MCOperandInfo& info = ops[i];
      if (d.getOperandConstraint(i, llvm::MCOI::TIED_TO) >= 0) {
        kinds.push_back(OperandKind::kTied);
      } else if (info.OperandType == llvm::MCOI::OPERAND_MEMORY) {
        // x86's memory operand: base, scale, index, displacement, segment.
        if (i + 4 >= ops.size()) return {};
        for (unsigned k = 1; k < 5; ++k)
          if (ops[i + k].OperandType != llvm::MCOI::OPERAND_MEMORY) return {};
        if (ops[i + 1].RegClass >= 0 || ops[i + 3].RegClass >= 0) return {};
        const int index_class = ops[i + 2].RegClass;
        if (!ops[i + 2].isLookupPtrRegClass() && (index_class < 0 || file_of_class[index_class] == kNoFile)) return {};
        kinds.push_back(OperandKind::kMemory);
        for (unsigned k = 1; k < 5; ++k) kinds.push_back(OperandKind::kMemoryTail);
        i += 4;
      } else if (info.OperandType == llvm::MCOI::OPERAND_PCREL) {
        return {};
      } else if (info.RegClass >= 0) {
        if (info.isLookupPtrRegClass() || file_of_class[info.RegClass] == kNoFile) return {};
        kinds.push_back(OperandKind::kRegister);
      } else {
        kinds.push_back(OperandKind::kImmediate);
      }
    }
    return kinds;
  }

  void make_opcode_pool() {
    const llvm::MCInstrInfo& info = target.instr_info();
    const llvm::MCSchedModel& model = subtarget->getSchedModel();
    const bool has[] = {true, subtarget->checkFeatures("+avx"), subtarget->checkFeatures("+avx512f"),
                        subtarget->checkFeatures("+xop")};
    std::mt19937_64 probe_rng(0x5EED);  // the pool does not depend on the seed
    for (unsigned op = 0; op < info.getNumOpcodes(); ++op) {
      const llvm::MCInstrDesc& d = info.get(op);
      if (d.isPseudo() || d.isBranch() || d.isCall() || d.isReturn() || d.isTerminator() || d.isBarrier() ||
          d.isIndirectBranch() || d.getNumOperands() == 0)
        continue;
      if (target.canonical_opcode(op) != op) continue;
      const llvm::StringRef name = info.getName(op);
      // Side effects LLVM does not model are system instructions, except
      // that a division may trap (#DE).
      if (d.hasUnmodeledSideEffects() && !name.starts_with("DIV") && !name.starts_with("IDIV")) continue;
      if (name.ends_with("_REV") || name.ends_with("_PREFIX") || name.starts_with("LOCK_")) continue;
      const llvm::MCSchedClassDesc* sc = model.getSchedClassDesc(d.getSchedClass());
      if (!sc || !sc->isValid()) continue;
      std::vector<OperandKind> kinds = operand_kinds(d);
      if (kinds.empty()) continue;
      // One instance must encode, decode back to itself and simulate.
      const Opcode candidate{op, std::move(kinds)};
      std::vector<std::uint8_t> bytes;
      bool ok = false;
      for (int attempt = 0; attempt < kMaxFailures && !ok; ++attempt) {
        std::vector<llvm::MCInst> one{instance(candidate, BlockShape::kIndependent, false, probe_rng)};
        bytes.clear();
        ok = encode(one, &bytes) && has[static_cast<int>(encoding_of(bytes))] && simulates(bytes, 1, 2);
      }
      if (!ok) continue;
      by_encoding[static_cast<std::size_t>(encoding_of(bytes))].push_back(pool.size());
      pool.push_back(candidate);
    }
    if (pool.empty()) throw std::invalid_argument("no opcode of '" + subtarget->getCPU().str() + "' can be simulated");
    sort_for_fork_join();
  }

  void sort_for_fork_join() {
    static const std::set<std::string_view> kCopies = {
        "MOV32rr",    "MOV64rr",    "MOVAPSrr",    "MOVDQArr",     "VMOVAPSrr",   "VMOVAPSYrr",
        "VMOVDQArr",  "VMOVDQAYrr", "VMOVAPSZrr",  "VMOVDQA64Zrr", "VMOVAPSZ256rr", "VMOVDQA64Z256rr"};
    const llvm::MCInstrInfo& info = target.instr_info();
    std::vector<std::size_t> set_of(pool.size());
    for (std::size_t e = 0; e < by_encoding.size(); ++e)
      for (std::size_t p : by_encoding[e]) set_of[p] = e;
    for (std::size_t p = 0; p < pool.size(); ++p) {
      const llvm::MCInstrDesc& d = info.get(pool[p].opcode);
      const auto ops = d.operands();
      if (d.getNumDefs() == 0 || ops[0].RegClass < 0) continue;
      const File f = file_of_class[ops[0].RegClass];
      if (f != kGprFile && f != kVectorFile) continue;
      writers[f][set_of[p]].push_back(p);
      const std::string_view name(info.getName(pool[p].opcode));
      if (kCopies.count(name)) copies[f].push_back(p);
      const auto& k = pool[p].kinds;
      const bool two_sources = k.size() == 3 && k[0] == OperandKind::kRegister && k[2] == OperandKind::kRegister &&
                               (k[1] == OperandKind::kTied || k[1] == OperandKind::kRegister);
      if (two_sources && d.getNumDefs() == 1 && file_of_class[ops[2].RegClass] == f &&
          (k[1] == OperandKind::kTied || file_of_class[ops[1].RegClass] == f))
        joins[f][set_of[p]].push_back(p);
    }
  }

  // An opcode of `by_set`: an instruction set first, then one of its opcodes.
  const Opcode& draw(const BySet& by_set) {
    std::vector<std::size_t> sets;
    for (std::size_t e = 0; e < by_set.size(); ++e)
      if (!by_set[e].empty()) sets.push_back(e);
    const auto& of_set = by_set[sets[rng() % sets.size()]];
    return pool[of_set[rng() % of_set.size()]];
  }
  static bool any(const BySet& by_set) {
    return std::any_of(by_set.begin(), by_set.end(), [](const auto& v) { return !v.empty(); });
  }

  bool encode(const std::vector<llvm::MCInst>& instructions, std::vector<std::uint8_t>* bytes) const {
    std::string why;
    for (const llvm::MCInst& inst : instructions)
      if (!encoder.encode(inst, bytes, &why)) return false;
    return true;
  }

  // The bytes decode to `count` instructions and the CPU's model simulates
  // them for `iterations` (blocks: as `label` does, 100; some LLVM crashes
  // need many).
  bool simulates(const std::vector<std::uint8_t>& bytes, std::size_t count, unsigned iterations) const {
    try {
      const block::BasicBlock b = decoder.decode_block(bytes, "synthesized", {}, nullptr);
      if (b.instructions.size() != count || !b.dropped_branch.empty()) return false;
      return simulator.cycles(b, iterations) > 0;
    } catch (const std::exception&) {
      return false;
    }
  }

  // Per block: the register files' chain slots and which slots only read.
  struct Plan {
    std::array<std::size_t, kFiles> chain{};
    std::array<std::vector<std::size_t>, kFiles> read_only, write_only;
    std::array<std::size_t, kFiles> next_write{};
    // fork_join(): a file's first register read not tied to a write reads
    // this slot (kNoJoin: none).
    static constexpr std::size_t kNoJoin = SIZE_MAX;
    std::array<std::size_t, kFiles> join{kNoJoin, kNoJoin, kNoJoin};
  };
  Plan plan;

  void new_plan(std::mt19937_64& r) {
    for (int f = 0; f < kFiles; ++f) {
      std::vector<std::size_t> slots(kSlots[f]);
      for (std::size_t s = 0; s < slots.size(); ++s) slots[s] = s;
      std::shuffle(slots.begin(), slots.end(), r);
      plan.chain[f] = slots[0];
      const std::size_t readers = std::max<std::size_t>(1, (slots.size() - 1) / 3);
      plan.read_only[f].assign(slots.begin() + 1, slots.begin() + 1 + readers);
      plan.write_only[f].assign(slots.begin() + 1 + readers, slots.end());
      plan.next_write[f] = 0;
      plan.join[f] = Plan::kNoJoin;
    }
  }

  // The register of `slot` in `file` that class `c` holds, or another of the
  // file's registers it holds (e.g. GR32_AD: eax, edx), or 0.
  unsigned register_in(unsigned c, File file, std::size_t slot, std::mt19937_64& r) const {
    const llvm::MCRegisterClass& rc = target.reg_info().getRegClass(c);
    for (unsigned reg : registers[file][slot])
      if (reg && rc.contains(reg)) return reg;
    std::vector<unsigned> any;
    for (const auto& s : registers[file])
      for (unsigned reg : s)
        if (reg && rc.contains(reg)) any.push_back(reg);
    return any.empty() ? 0 : any[r() % any.size()];
  }

  std::size_t pick(const std::vector<std::size_t>& v, std::mt19937_64& r) const { return v[r() % v.size()]; }

  // One instance of `op`; `chained`: it reads and writes the chain registers.
  llvm::MCInst instance(const Opcode& op, BlockShape shape, bool chained, std::mt19937_64& r) {
    if (plan.read_only[0].empty()) new_plan(r);
    const llvm::MCInstrDesc& d = target.instr_info().get(op.opcode);
    const auto infos = d.operands();
    llvm::MCInst inst;
    inst.setOpcode(op.opcode);
    std::array<bool, kFiles> chain_read{}, join_read{};
    for (unsigned i = 0; i < op.kinds.size(); ++i) {
      switch (op.kinds[i]) {
        case OperandKind::kTied:
          inst.addOperand(inst.getOperand(d.getOperandConstraint(i, llvm::MCOI::TIED_TO)));
          break;
        case OperandKind::kRegister: {
          const unsigned c = infos[i].RegClass;
          const File f = file_of_class[c];
          std::size_t slot;
          if (i < d.getNumDefs()) {  // a write
            if (chained) {
              slot = plan.chain[f];
            } else {
              const auto& w = plan.write_only[f];
              slot = w[plan.next_write[f]++ % w.size()];
            }
          } else if (plan.join[f] != Plan::kNoJoin && !join_read[f]) {
            slot = plan.join[f];
            join_read[f] = true;
          } else if (chained && !chain_read[f]) {
            slot = plan.chain[f];
            chain_read[f] = true;
          } else {
            slot = pick(plan.read_only[f], r);
          }
          inst.addOperand(llvm::MCOperand::createReg(register_in(c, f, slot, r)));
          break;
        }
        case OperandKind::kMemory: {
          const bool chase = chained && shape == BlockShape::kPointerChase;
          const std::size_t base = chase ? plan.chain[kGprFile] : pick(plan.read_only[kGprFile], r);
          unsigned index = 0;
          const int index_class = infos[i + 2].RegClass;
          if (!infos[i + 2].isLookupPtrRegClass() && index_class >= 0 && file_of_class[index_class] == kVectorFile)
            index = register_in(index_class, kVectorFile, pick(plan.read_only[kVectorFile], r), r);  // a gather
          else if (r() % 2)
            index = registers[kGprFile][pick(plan.read_only[kGprFile], r)][0];
          static constexpr std::int64_t kDisplacements[] = {0, 8, 16, 64, 128};
          static constexpr std::int64_t kScales[] = {1, 2, 4, 8};
          inst.addOperand(llvm::MCOperand::createReg(registers[kGprFile][base][0]));
          inst.addOperand(llvm::MCOperand::createImm(index ? kScales[r() % 4] : 1));
          inst.addOperand(llvm::MCOperand::createReg(index));
          inst.addOperand(llvm::MCOperand::createImm(kDisplacements[r() % 5]));
          inst.addOperand(llvm::MCOperand::createReg(0));  // no segment
          break;
        }
        case OperandKind::kMemoryTail:
          break;
        case OperandKind::kImmediate: {
          // Small values every immediate operand takes: x86's own operand
          // types (condition codes 0-15, rounding 0-3) get 0-3.
          static constexpr std::int64_t kImmediates[] = {0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 31, 64};
          const bool target_type = infos[i].OperandType >= llvm::MCOI::OPERAND_FIRST_TARGET;
          inst.addOperand(llvm::MCOperand::createImm(target_type ? r() % 4 : kImmediates[r() % 12]));
          break;
        }
      }
    }
    return inst;
  }

  // Encodes `instructions` into b->bytes (empty on entry); true, and the
  // bytes remembered, if they are new and simulate as `label` does.
  bool emit(const std::vector<llvm::MCInst>& instructions, SynthesizedBlock* b) {
    if (!encode(instructions, &b->bytes) || emitted.count(b->bytes) ||
        !simulates(b->bytes, instructions.size(), mca::Simulator::kDefaultIterations))
      return false;
    emitted.insert(b->bytes);
    return true;
  }

  SynthesizedBlock next() {
    static constexpr BlockShape kShapes[] = {BlockShape::kChain, BlockShape::kIndependent, BlockShape::kPointerChase,
                                             BlockShape::kMixed};
    for (;;) {
      const BlockShape shape = kShapes[rng() % 4];
      const std::size_t n = 1 + rng() % kMaxInstructions;
      new_plan(rng);
      std::vector<llvm::MCInst> instructions;
      for (std::size_t k = 0; k < n; ++k) {
        // An instruction set first, then an opcode of it: AVX-512's many
        // variants would otherwise crowd out everything else.
        const auto& of_set = by_encoding[encodings[rng() % encodings.size()]];
        const Opcode& op = pool[of_set[rng() % of_set.size()]];
        const bool chained = shape == BlockShape::kChain || shape == BlockShape::kPointerChase ||
                             (shape == BlockShape::kMixed && rng() % 2);
        instructions.push_back(instance(op, shape, chained, rng));
      }
      SynthesizedBlock b{{}, shape, {}};
      if (emit(instructions, &b)) return b;
    }
  }

  SynthesizedBlock fork_join() {
    std::vector<File> files;
    for (File f : {kGprFile, kVectorFile})
      if (!copies[f].empty() && any(joins[f])) files.push_back(f);
    if (files.empty())
      throw std::invalid_argument("'" + subtarget->getCPU().str() + "' has no register copy and join to fork with");
    for (;;) {
      new_plan(rng);
      const File f = files[rng() % files.size()];
      const std::size_t chain = plan.chain[f], temporary = plan.write_only[f][0];
      const std::size_t segments = 1 + rng() % 2;
      std::vector<llvm::MCInst> instructions;
      bool joined = true;
      for (std::size_t s = 0; s < segments && joined; ++s) {
        // The fork: temporary = chain, by the copy's own operand classes.
        const Opcode& copy = pool[copies[f][rng() % copies[f].size()]];
        const auto infos = target.instr_info().get(copy.opcode).operands();
        llvm::MCInst fork;
        fork.setOpcode(copy.opcode);
        fork.addOperand(llvm::MCOperand::createReg(register_in(infos[0].RegClass, f, temporary, rng)));
        fork.addOperand(llvm::MCOperand::createReg(register_in(infos[1].RegClass, f, chain, rng)));
        instructions.push_back(fork);
        // The change: a chain on the temporary.
        plan.chain[f] = temporary;
        for (std::size_t k = 1 + rng() % 2; k > 0; --k)
          instructions.push_back(instance(draw(writers[f]), BlockShape::kChain, true, rng));
        // The join: chain = op(chain, temporary), by an opcode whose register
        // classes hold both (some hold only registers without a REX prefix).
        plan.chain[f] = chain;
        plan.join[f] = temporary;
        const block::InstructionDataflow copied = block::dataflow_of(fork);
        joined = false;
        for (int attempt = 0; attempt < 8 && !joined; ++attempt) {
          const llvm::MCInst join = instance(draw(joins[f]), BlockShape::kChain, true, rng);
          const block::InstructionDataflow d = block::dataflow_of(join);
          joined = (d.writes & copied.reads) && (d.reads & copied.reads) && (d.reads & copied.writes);
          if (joined) instructions.push_back(join);
        }
        plan.join[f] = Plan::kNoJoin;
      }
      if (!joined) continue;
      SynthesizedBlock b{{}, BlockShape::kForkJoin, {}};
      if (emit(instructions, &b)) return b;
    }
  }
};

std::vector<SynthesizedBlock> BlockSynthesizer::census() {
  struct Form {
    BlockShape shape;
    std::size_t copies;
  };
  static constexpr Form kForms[] = {
      {BlockShape::kChain, 1}, {BlockShape::kChain, 2}, {BlockShape::kIndependent, kCensusStream}};
  Impl& s = *impl_;
  std::vector<SynthesizedBlock> out;
  for (const Impl::Opcode& op : s.pool) {
    for (const Form& form : kForms) {
      for (int attempt = 0; attempt < kMaxFailures; ++attempt) {
        s.new_plan(s.rng);
        std::vector<llvm::MCInst> instructions;
        for (std::size_t k = 0; k < form.copies; ++k)
          instructions.push_back(s.instance(op, form.shape, form.shape == BlockShape::kChain, s.rng));
        SynthesizedBlock b{{}, form.shape, s.target.opcode_name(op.opcode)};
        if (!s.emit(instructions, &b)) continue;
        out.push_back(std::move(b));
        break;
      }
    }
  }
  return out;
}

BlockSynthesizer::BlockSynthesizer(const std::string& cpu, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(cpu, seed)) {}
BlockSynthesizer::~BlockSynthesizer() = default;

SynthesizedBlock BlockSynthesizer::next() { return impl_->next(); }
SynthesizedBlock BlockSynthesizer::fork_join() { return impl_->fork_join(); }

std::vector<std::string> BlockSynthesizer::opcodes() const {
  std::vector<std::string> out;
  for (const Impl::Opcode& op : impl_->pool) out.push_back(impl_->target.opcode_name(op.opcode));
  return out;
}

}  // namespace surrogate::dataset
