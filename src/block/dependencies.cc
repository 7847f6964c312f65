#include "block/dependencies.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <string_view>

#include "block/x86_operands.h"
#include "block/x86_target.h"

namespace surrogate {
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

void dependency_features(std::span<const InstructionDataflow> block, float* out) {
  const std::size_t n = block.size();
  std::fill(out, out + n * kDependencyFeatures, 0.0f);
  if (n == 0) return;
  // The last writer of each slot in the whole block (the previous iteration's
  // writer for a reader before any writer of this iteration).
  std::array<int, 64> last{};
  last.fill(-1);
  for (std::size_t j = 0; j < n; ++j)
    for (std::uint64_t w = block[j].writes; w; w &= w - 1) last[std::countr_zero(w)] = static_cast<int>(j);
  std::array<int, 64> writer = {};  // last writer before i in this iteration
  writer.fill(-1);
  // consumers[j]: the instructions reading what j writes. Reused between
  // calls (this runs for every block the runtime predicts).
  thread_local std::vector<std::vector<std::uint32_t>> consumers;
  if (consumers.size() < n) consumers.resize(n);
  for (std::size_t j = 0; j < n; ++j) consumers[j].clear();
  for (std::size_t i = 0; i < n; ++i) {
    float* f = out + i * kDependencyFeatures;
    std::size_t nearest = 0;  // distance of the nearest producer of any source
    int nearest_producer = -1;
    int producing_slots = 0;
    auto see = [&](std::uint64_t slots, std::size_t same_feature) {
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
        const float inverse = 1.0f / static_cast<float>(d);
        float& feature = f[same_feature + (carried ? 1 : 0)];
        feature = std::max(feature, inverse);
        if (nearest == 0 || d < nearest) {
          nearest = d;
          nearest_producer = j;
        }
        if (std::find(consumers[j].begin(), consumers[j].end(), i) == consumers[j].end())
          consumers[j].push_back(static_cast<std::uint32_t>(i));
      }
    };
    see(block[i].reads, 0);
    see(block[i].address_reads, 2);
    for (std::uint64_t r = block[i].reads | block[i].address_reads; r; r &= r - 1)
      producing_slots += last[std::countr_zero(r)] >= 0;
    f[4] = nearest_producer >= 0 && block[nearest_producer].loads ? 1.0f : 0.0f;
    f[7] = std::min(1.0f, static_cast<float>(producing_slots) / 4.0f);
    for (std::uint64_t w = block[i].writes; w; w &= w - 1) writer[std::countr_zero(w)] = static_cast<int>(i);
  }
  // Recurrences: the shortest cycle through i in the producer graph. Every
  // edge within an iteration goes forward, so every cycle crosses the back
  // edge. Breadth-first from i along producer -> consumer edges: on bit
  // sets for blocks of up to 64 instructions (nearly all), else on lists.
  auto mark = [&](std::size_t i, int cycle) {
    out[i * kDependencyFeatures + 5] = 1.0f;
    out[i * kDependencyFeatures + 6] = 1.0f / static_cast<float>(cycle);
  };
  if (n <= 64) {
    std::array<std::uint64_t, 64> next{};
    for (std::size_t j = 0; j < n; ++j)
      for (std::uint32_t v : consumers[j]) next[j] |= std::uint64_t{1} << v;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t self = std::uint64_t{1} << i;
      std::uint64_t frontier = next[i], seen = frontier;
      for (int length = 1; frontier; ++length) {
        if (frontier & self) {
          mark(i, length);
          break;
        }
        std::uint64_t reached = 0;
        for (std::uint64_t f = frontier; f; f &= f - 1) reached |= next[std::countr_zero(f)];
        frontier = reached & ~seen;
        seen |= reached;
      }
    }
    return;
  }
  thread_local std::vector<int> depth;
  thread_local std::vector<std::uint32_t> queue;
  depth.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::fill(depth.begin(), depth.end(), -1);
    queue.assign(1, static_cast<std::uint32_t>(i));
    depth[i] = 0;
    int cycle = 0;
    for (std::size_t q = 0; q < queue.size() && cycle == 0; ++q) {
      const std::uint32_t u = queue[q];
      for (std::uint32_t v : consumers[u]) {
        if (v == i) {
          cycle = depth[u] + 1;
          break;
        }
        if (depth[v] < 0) {
          depth[v] = depth[u] + 1;
          queue.push_back(v);
        }
      }
    }
    if (cycle > 0) mark(i, cycle);
  }
}

void dependency_features(const BasicBlock& block, float* out) {
  thread_local std::vector<InstructionDataflow> dataflow;
  dataflow.clear();
  for (const llvm::MCInst& inst : block.instructions) dataflow.push_back(dataflow_of(inst));
  dependency_features(dataflow, out);
}

}  // namespace surrogate
