#include "block/dependencies.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <string_view>

#include "block/x86_operands.h"
#include "block/x86_target.h"

namespace surrogate::block {
namespace {

// Slots: 0-15 general-purpose, 16-47 vector, 48 EFLAGS, 49-56 masks, 57 x87.
constexpr unsigned kNoSlot = 64;

// Slot of every LLVM register number (kNoSlot: not tracked: rip, segments, ...).
const std::vector<std::uint8_t>& register_slots() {
  static const std::vector<std::uint8_t> slots = [] {
    const llvm::MCRegisterInfo& info = X86Target::get().reg_info();
    // The registers whose sub-registers share their slot.
    std::vector<std::pair<std::string, unsigned>> roots;
    const char* gpr[] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                         "R8",  "R9",  "R10", "R11", "R12", "R13", "R14", "R15"};
    for (unsigned i = 0; i < 16; ++i) roots.push_back({gpr[i], i});
    for (unsigned i = 0; i < 32; ++i) roots.push_back({"ZMM" + std::to_string(i), 16 + i});
    roots.push_back({"EFLAGS", 48});
    for (unsigned i = 0; i < 8; ++i) roots.push_back({"K" + std::to_string(i), 49 + i});
    for (unsigned i = 0; i < 8; ++i) roots.push_back({"ST" + std::to_string(i), 57});
    for (unsigned i = 0; i < 8; ++i) roots.push_back({"FP" + std::to_string(i), 57});
    std::vector<std::uint8_t> out(info.getNumRegs(), kNoSlot);
    for (unsigned reg = 1; reg < info.getNumRegs(); ++reg) {
      const std::string_view name = info.getName(reg);
      for (const auto& [root, slot] : roots)
        if (name == root)
          for (llvm::MCPhysReg sub : info.subregs_inclusive(reg)) out[sub] = static_cast<std::uint8_t>(slot);
    }
    return out;
  }();
  return slots;
}

std::uint64_t bit_of(unsigned reg) {
  const std::vector<std::uint8_t>& slots = register_slots();
  const unsigned slot = reg < slots.size() ? slots[reg] : kNoSlot;
  return slot == kNoSlot ? 0 : std::uint64_t{1} << slot;
}

// Opcodes that, with both sources the same register, give a constant (0 or
// all ones) without reading it: the zero and ones idioms cores recognise.
bool is_idiom_opcode(std::string_view name) {
  for (std::string_view prefix : {"XOR", "SUB", "PXOR", "VPXOR", "XORP", "VXORP", "PSUB", "VPSUB", "PCMPGT", "VPCMPGT",
                                  "PCMPEQ", "VPCMPEQ", "PANDN", "VPANDN", "ANDNP", "VANDNP"})
    if (name.starts_with(prefix)) return true;
  return false;
}

}  // namespace

InstructionDataflow dataflow_of(const llvm::MCInst& inst) {
  InstructionDataflow d;
  std::vector<unsigned> explicit_reads;
  bool explicit_read = true;
  visit_operands(
      inst,
      [&](unsigned reg, bool written) {
        if (written) {
          d.writes |= bit_of(reg);
        } else {
          d.reads |= bit_of(reg);
          if (explicit_read) explicit_reads.push_back(reg);
        }
      },
      [&](unsigned first, bool read, bool) {
        explicit_read = false;  // a memory operand: not a register idiom
        d.address_reads |= bit_of(inst.getOperand(first).getReg()) | bit_of(inst.getOperand(first + 2).getReg());
        d.loads |= read && !X86Target::get().instr_info().getName(inst.getOpcode()).starts_with("LEA");
      },
      [&](const llvm::MCOperand&) { explicit_read = false; });
  // The explicit sources came first; implicit uses (EFLAGS of sbb) follow.
  const std::string_view name = X86Target::get().instr_info().getName(inst.getOpcode());
  if (explicit_read && explicit_reads.size() >= 2 && is_idiom_opcode(name)) {
    const unsigned a = explicit_reads[explicit_reads.size() - 2], b = explicit_reads.back();
    if (a == b || bit_of(a) == bit_of(b)) {
      // pcmpeq x,x gives ones, the others zero; none of them waits for x.
      // Only the 2-source forms: what they read besides is implicit (none).
      const llvm::MCInstrDesc& desc = X86Target::get().instr_info().get(inst.getOpcode());
      if (desc.implicit_uses().empty()) d.reads = 0;
    }
  }
  return d;
}

namespace {

// Shortest recurrences through one instruction, in instructions (0: none).
struct Recurrences {
  int value_only = 0;    // every edge a value edge
  int with_address = 0;  // at least one address edge
  int any() const {
    return value_only && with_address ? std::min(value_only, with_address) : value_only | with_address;
  }
};

// Breadth-first from i over (instruction, address edge seen yet) states along
// producer -> consumer edges. Every edge within an iteration goes forward, so
// every cycle crosses the back edge. On bit sets for blocks of up to 64
// instructions (nearly all), else on lists, at most kRecurrenceSearchEdges
// edges from each instruction.
class RecurrenceSearch {
 public:
  // value[j] / address[j]: the instructions reading what j writes as a value / an address.
  RecurrenceSearch(const std::vector<std::vector<std::uint32_t>>& value,
                   const std::vector<std::vector<std::uint32_t>>& address, std::size_t n)
      : value_(value), address_(address), n_(n) {
    if (n_ > 64) return;
    for (std::size_t j = 0; j < n_; ++j) {
      value_bits_[j] = address_bits_[j] = 0;
      for (std::uint32_t v : value_[j]) value_bits_[j] |= std::uint64_t{1} << v;
      for (std::uint32_t v : address_[j]) address_bits_[j] |= std::uint64_t{1} << v;
    }
  }

  Recurrences through(std::size_t i) const { return n_ <= 64 ? on_bits(i) : on_lists(i); }

 private:
  Recurrences on_bits(std::size_t i) const {
    Recurrences r;
    const std::uint64_t self = std::uint64_t{1} << i;
    // frontier0: reached by value edges only; frontier1: with an address edge.
    std::uint64_t frontier0 = self, frontier1 = 0, seen0 = self, seen1 = 0;
    for (int length = 1; frontier0 | frontier1; ++length) {
      std::uint64_t reached0 = 0, reached1 = 0;
      for (std::uint64_t f = frontier0; f; f &= f - 1) {
        reached0 |= value_bits_[std::countr_zero(f)];
        reached1 |= address_bits_[std::countr_zero(f)];
      }
      for (std::uint64_t f = frontier1; f; f &= f - 1)
        reached1 |= value_bits_[std::countr_zero(f)] | address_bits_[std::countr_zero(f)];
      if (!r.value_only && (reached0 & self)) r.value_only = length;
      if (!r.with_address && (reached1 & self)) r.with_address = length;
      if (r.value_only && r.with_address) break;
      frontier0 = reached0 & ~seen0 & ~self;
      frontier1 = reached1 & ~seen1 & ~self;
      seen0 |= reached0;
      seen1 |= reached1;
    }
    return r;
  }

  Recurrences on_lists(std::size_t i) const {
    thread_local std::vector<int> depth;  // by state: 2 * instruction + address edge seen
    thread_local std::vector<std::uint32_t> queue;
    depth.assign(2 * n_, -1);
    queue.assign(1, static_cast<std::uint32_t>(2 * i));
    depth[2 * i] = 0;
    Recurrences r;
    std::size_t edges = 0;
    for (std::size_t q = 0; q < queue.size() && !(r.value_only && r.with_address); ++q) {
      const std::uint32_t state = queue[q], u = state / 2, seen_address = state % 2;
      for (const bool by_address : {false, true}) {
        for (std::uint32_t v : (by_address ? address_ : value_)[u]) {
          if (++edges > kRecurrenceSearchEdges) return r;
          const std::uint32_t next = 2 * v + (seen_address || by_address);
          if (v == i) {
            int& found = next % 2 ? r.with_address : r.value_only;
            if (!found) found = depth[state] + 1;
            continue;
          }
          if (depth[next] < 0) {
            depth[next] = depth[state] + 1;
            queue.push_back(next);
          }
        }
      }
    }
    return r;
  }

  const std::vector<std::vector<std::uint32_t>>& value_;
  const std::vector<std::vector<std::uint32_t>>& address_;
  std::size_t n_;
  std::array<std::uint64_t, 64> value_bits_, address_bits_;
};

float inverse(int length) { return length ? 1.0f / static_cast<float>(length) : 0.0f; }

}  // namespace

void dependency_features(std::span<const InstructionDataflow> block, DependencyFeatureSet set, float* out) {
  const std::size_t n = block.size(), width = feature_count(set);
  if (width == 0) return;
  std::fill(out, out + n * width, 0.0f);
  if (n == 0) return;
  // The last writer of each slot in the whole block (the previous iteration's
  // writer for a reader before any writer of this iteration).
  std::array<int, 64> last{};
  last.fill(-1);
  for (std::size_t j = 0; j < n; ++j)
    for (std::uint64_t w = block[j].writes; w; w &= w - 1) last[std::countr_zero(w)] = static_cast<int>(j);
  std::array<int, 64> writer = {};  // last writer before i in this iteration
  writer.fill(-1);
  // value_consumers[j] / address_consumers[j]: the instructions reading what
  // j writes, as a value / to form an address. Reused between calls (this
  // runs for every block the runtime predicts).
  thread_local std::vector<std::vector<std::uint32_t>> value_consumers, address_consumers;
  if (value_consumers.size() < n) {
    value_consumers.resize(n);
    address_consumers.resize(n);
  }
  for (std::size_t j = 0; j < n; ++j) {
    value_consumers[j].clear();
    address_consumers[j].clear();
  }
  const auto pure_load = [](const InstructionDataflow& d) { return d.loads && d.reads == 0; };
  for (std::size_t i = 0; i < n; ++i) {
    float* f = out + i * width;
    std::size_t nearest = 0;  // distance of the nearest producer of any source
    int nearest_producer = -1;
    int producing_slots = 0;
    auto see = [&](std::uint64_t slots, std::size_t same_feature, std::vector<std::vector<std::uint32_t>>& consumers) {
      for (std::uint64_t r = slots; r; r &= r - 1) {
        const int slot = std::countr_zero(r);
        int j = writer[slot];
        bool carried = false;
        if (j < 0) {
          j = last[slot];
          carried = true;
        }
        if (j < 0) continue;
        const std::size_t d = carried ? i + n - static_cast<std::size_t>(j) : i - static_cast<std::size_t>(j);
        float& feature = f[same_feature + (carried ? 1 : 0)];
        feature = std::max(feature, 1.0f / static_cast<float>(d));
        if (nearest == 0 || d < nearest) {
          nearest = d;
          nearest_producer = j;
        }
        if (std::find(consumers[j].begin(), consumers[j].end(), i) == consumers[j].end())
          consumers[j].push_back(static_cast<std::uint32_t>(i));
      }
    };
    see(block[i].reads, 0, value_consumers);
    see(block[i].address_reads, 2, address_consumers);
    for (std::uint64_t r = block[i].reads | block[i].address_reads; r; r &= r - 1)
      producing_slots += last[std::countr_zero(r)] >= 0;
    if (nearest_producer >= 0) {
      const InstructionDataflow& producer = block[nearest_producer];
      f[4] = (set == DependencyFeatureSet::kV1 ? producer.loads : pure_load(producer)) ? 1.0f : 0.0f;
    }
    f[7] = std::min(1.0f, static_cast<float>(producing_slots) / 4.0f);
    for (std::uint64_t w = block[i].writes; w; w &= w - 1) writer[std::countr_zero(w)] = static_cast<int>(i);
  }
  const RecurrenceSearch search(value_consumers, address_consumers, n);
  for (std::size_t i = 0; i < n; ++i) {
    const Recurrences r = search.through(i);
    if (!r.any()) continue;
    float* f = out + i * width;
    f[5] = 1.0f;
    f[6] = inverse(r.any());
    if (set == DependencyFeatureSet::kV2) {
      f[8] = inverse(r.value_only);
      f[9] = inverse(r.with_address);
    }
  }
}

void dependency_features(const BasicBlock& block, DependencyFeatureSet set, float* out) {
  thread_local std::vector<InstructionDataflow> dataflow;
  dataflow.clear();
  for (const llvm::MCInst& inst : block.instructions) dataflow.push_back(dataflow_of(inst));
  dependency_features(dataflow, set, out);
}

}  // namespace surrogate::block
