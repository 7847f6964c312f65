// Data dependencies of a basic block as the surrogate sees them: which
// registers each instruction reads and writes, and per instruction a few
// numbers that say how it depends on the others when the block runs as a
// loop body (the way llvm-mca and the measure harness run it).
//
// The token sequence names registers, but an LSTM reading tokens left to
// right is not told that the `rdi` written by one instruction is the base
// register of a load three instructions later, nor that the last writer of a
// register feeds the first reader of the *next* iteration. These features
// say it directly, beside the cached instruction embedding, so the cache
// stays valid (they depend on the block, the embedding on the instruction).
//
// Registers are tracked as slots: the 16 general-purpose registers (a write
// of eax or al is a write of rax's slot), the 32 vector registers (xmm3,
// ymm3, zmm3: one slot), EFLAGS, the 8 mask registers and the x87 stack.
// Memory is not tracked (llvm-mca assumes loads and stores do not alias).
// Zero idioms (xor eax,eax; vpxor x,x,x; sub r,r; pcmpgt x,x) read nothing,
// as on every x86 core since Sandy Bridge and Zen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "block/basic_block.h"
#include "llvm/MC/MCInst.h"

namespace surrogate::block {

struct InstructionDataflow {
  std::uint64_t reads = 0;          // slots read as values (explicit, tied and implicit sources)
  std::uint64_t address_reads = 0;  // slots read to form a memory address (base, index)
  std::uint64_t writes = 0;         // slots written
  bool loads = false;               // reads memory
  bool operator==(const InstructionDataflow&) const = default;
};

InstructionDataflow dataflow_of(const llvm::MCInst& inst);

// Per-instruction dependency features, all in [0, 1]. A model's frontend
// names the set it was trained with; a set's meaning never changes.
// For instruction i of n, a source's producer is the last writer of its slot
// before i in the same iteration (distance d = i - j), else the last writer
// in the block, in the previous iteration (loop-carried, d = i + n - j; an
// instruction that reads what it writes is its own producer, d = n). A
// recurrence is a dependency cycle through the loop's back edge: it bounds
// the throughput by the latency along it. An edge is an address edge when
// the consumer reads the slot to form an address (the load waits for it),
// else a value edge (a load-op instruction's register source is read after
// its load: llvm-mca's ReadAdvance).
//   0  1/d of the nearest same-iteration producer of a value source (0: none)
//   1  1/d of the nearest loop-carried producer of a value source
//   2  the same as 0 for address sources
//   3  the same as 1 for address sources
//   4  kV1: 1 if the nearest producer of any source reads memory;
//      kV2: 1 if it is a pure load (reads memory and no register value):
//      its result is a loaded value
//   5  1 if the instruction is on a recurrence
//   6  1/(instructions on the shortest recurrence through it), 0 if none
//   7  sources with a producer in the block (distinct slots), / 4, at most 1
// kV2 only:
//   8  1/(instructions on the shortest recurrence through it made of value
//      edges only), 0 if none: a chain of ALU latencies
//   9  1/(instructions on the shortest recurrence through it with an address
//      edge), 0 if none: a load's latency is on the chain (pointer chasing)
// In blocks of more than 64 instructions a recurrence is looked for among at
// most kRecurrenceSearchEdges edges from each instruction (linear time).
enum class DependencyFeatureSet : std::uint8_t { kNone, kV1, kV2 };
inline constexpr std::size_t kRecurrenceSearchEdges = 4096;
constexpr std::size_t feature_count(DependencyFeatureSet set) {
  return set == DependencyFeatureSet::kNone ? 0 : set == DependencyFeatureSet::kV1 ? 8 : 10;
}

// Writes block.size() * feature_count(set) floats to out.
void dependency_features(std::span<const InstructionDataflow> block, DependencyFeatureSet set, float* out);
// The same for a decoded block: block.instructions.size() * feature_count(set) floats.
void dependency_features(const BasicBlock& block, DependencyFeatureSet set, float* out);

}  // namespace surrogate::block
