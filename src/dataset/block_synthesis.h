// BlockSynthesizer: seeded random x86-64 basic blocks, built from the
// opcodes LLVM 19's tables know and the simulator's model of a CPU can
// schedule, with a dependency structure drawn for each block (issue 14).
// Compilers seldom put a loop-carried chain of a slow instruction, pointer
// chasing or a wide independent stream in one block; a surrogate trained on
// their blocks alone never learns them. These blocks are training data, to
// be labelled by the simulator like any other (`surrogate synth`, then
// `surrogate label`).
//
// A block is 1..kMaxInstructions instructions, each an instruction set the
// CPU has (legacy, VEX, EVEX, XOP), then an opcode of it drawn uniformly from
// the usable ones (opcodes()), with its operands filled from a
// register pool (14 general registers without rsp/rbp, xmm/ymm/zmm 0-15,
// k1-k7), small immediates and simple memory operands, then shaped:
//   kChain        every instruction reads and writes its register file's
//                 chain register (tied operands: the two-address forms),
//                 so each file's instructions form one loop-carried chain;
//   kIndependent  every write goes to a register of its own no instruction
//                 reads: only implicit registers (flags, rax/rdx of a
//                 division), memory and a two-address form's own
//                 destination link an instruction to anything;
//   kPointerChase as kChain, and memory operands address through the GPR
//                 chain register: a load-to-use chain;
//   kMixed        a random part of the instructions is chained, the rest
//                 independent;
//   kForkJoin     (fork_join() only) the chain register copied to a
//                 temporary by a register move (one the CPU may eliminate
//                 at rename), the temporary changed by one or two
//                 instructions chained on it, then joined back into the
//                 chain register by a two-source instruction; once or twice:
//                 the shape of xorshift, hash mixing and multi-word
//                 arithmetic, whose loop-carried path runs through copies.
// An opcode enters the pool when one of kMaxFailures instances of it
// encodes (LLVM's MCCodeEmitter), decodes back to one instruction and
// simulates on the CPU's model; a block must encode, decode back to its
// instructions and simulate 100 iterations (as `label` does), else it is
// drawn again. Deterministic for (cpu, seed). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace surrogate::dataset {

enum class BlockShape { kChain, kIndependent, kPointerChase, kMixed, kForkJoin };
// "chain", "independent", "pointer-chase", "mixed", "fork-join"
std::string_view name_of(BlockShape shape);

struct SynthesizedBlock {
  std::vector<std::uint8_t> bytes;  // machine code
  BlockShape shape;
  std::string opcode;  // census blocks: the LLVM opcode they are made of; empty otherwise
};

class BlockSynthesizer {
 public:
  static constexpr std::size_t kMaxInstructions = 8;
  static constexpr int kMaxFailures = 3;

  // Throws std::invalid_argument for a CPU LLVM does not know or without a
  // scheduling model (as `simulate` does).
  BlockSynthesizer(const std::string& cpu, std::uint64_t seed);
  ~BlockSynthesizer();
  BlockSynthesizer(const BlockSynthesizer&) = delete;
  BlockSynthesizer& operator=(const BlockSynthesizer&) = delete;

  // The next block (never the same bytes twice from one synthesizer).
  SynthesizedBlock next();

  // The census: for every opcode of opcodes(), in their order, blocks of
  // that opcode alone: a loop-carried chain of one instance, a chain of two,
  // and kCensusStream independent instances (its latency and its throughput,
  // as uops.info and Agner Fog table them). Random draws of next() seldom
  // give an opcode a block of its own, so a model trained on them alone
  // prices a short chain of a rare opcode by its neighbours'. A form that
  // does not encode, decode or simulate in kMaxFailures draws is left out.
  // Deterministic for (cpu, seed); shares next()'s random state and its
  // no-block-twice rule.
  static constexpr std::size_t kCensusStream = 4;
  std::vector<SynthesizedBlock> census();

  // The next kForkJoin block, in the general-purpose or the vector register
  // file (its copies: MOV32rr/MOV64rr, (V)MOVAPS/(V)MOVDQA forms the CPU
  // has). Shares next()'s random state and its no-block-twice rule; next()
  // never draws this shape (its blocks for a seed stay what they were).
  SynthesizedBlock fork_join();

  // The opcodes blocks are drawn from, by LLVM name, in opcode order: not
  // pseudo, no control flow or unmodelled side effects, one encoding each
  // (no _REV twin), a valid scheduling class on the CPU, every operand one
  // the pool can fill, and the instruction set (VEX, EVEX, XOP) the CPU has.
  std::vector<std::string> opcodes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace surrogate::dataset
