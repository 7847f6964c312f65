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

namespace surrogate {

struct InstructionDataflow {
  std::uint64_t reads = 0;          // slots read as values (explicit, tied and implicit sources)
  std::uint64_t address_reads = 0;  // slots read to form a memory address (base, index)
  std::uint64_t writes = 0;         // slots written
  bool loads = false;               // reads memory
  bool operator==(const InstructionDataflow&) const = default;
};

InstructionDataflow dataflow_of(const llvm::MCInst& inst);

// Per-instruction dependency features, kDependencyFeatures floats each, all
// in [0, 1]. For instruction i of n, a source's producer is the last writer
// of its slot before i in the same iteration (distance d = i - j), else the
// last writer in the block, in the previous iteration (loop-carried,
// d = i + n - j; an instruction that reads what it writes is its own
// producer, d = n).
//   0  1/d of the nearest same-iteration producer of a value source (0: none)
//   1  1/d of the nearest loop-carried producer of a value source
//   2  the same as 0 for address sources
//   3  the same as 1 for address sources
//   4  1 if the nearest producer of any source reads memory (a load feeds it)
//   5  1 if the instruction is on a recurrence (a dependency cycle through the
//      loop's back edge: it bounds the throughput by its latency)
//   6  1/(instructions on the shortest such cycle through it), 0 if none
//   7  sources with a producer in the block (distinct slots), / 4, at most 1
inline constexpr std::size_t kDependencyFeatures = 8;

// Writes block.size() * kDependencyFeatures floats to out.
void dependency_features(std::span<const InstructionDataflow> block, float* out);
// The same for a decoded block: block.instructions.size() * kDependencyFeatures floats.
void dependency_features(const BasicBlock& block, float* out);

}  // namespace surrogate
