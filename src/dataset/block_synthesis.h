// BlockSynthesizer: seeded random x86-64 basic blocks, built from the
// opcodes LLVM 19's tables know and the simulator's model of a CPU can
// schedule, with a dependency structure drawn for each block (issue 14).
// Compilers seldom put a loop-carried chain of a slow instruction, pointer
// chasing or a wide independent stream in one block; a surrogate trained on
// their blocks alone never learns them. These blocks are training data, to
// be labelled by the simulator like any other (`surrogate synth`, then
// `surrogate label`).
//
// A block is 1..kMaxInstructions instructions, each an opcode drawn
// uniformly from the usable ones (opcodes()) with its operands filled from a
// register pool (14 general registers without rsp/rbp, xmm/ymm/zmm 0-15,
// k1-k7), small immediates and simple memory operands, then shaped:
//   kChain        every instruction reads the register its predecessor
//                 wrote and writes the chain's register (per register
//                 file), so the block is one loop-carried chain;
//   kIndependent  every write goes to a register of its own no instruction
//                 reads: only implicit registers (flags, rax/rdx of a
//                 division) and memory can link them;
//   kPointerChase memory operands address through the chain register,
//                 which loads write: a load-to-use chain;
//   kMixed        a random part of the instructions is chained, the rest
//                 independent.
// Each block is encoded (LLVM's MCCodeEmitter), decoded back to the same
// number of instructions, and simulated once on the CPU's model; a block
// that fails either is drawn again (an opcode that fails kMaxFailures times
// is dropped). Deterministic for (cpu, seed). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace surrogate::dataset {

enum class BlockShape { kChain, kIndependent, kPointerChase, kMixed };
std::string_view name_of(BlockShape shape);  // "chain", "independent", "pointer-chase", "mixed"

struct SynthesizedBlock {
  std::vector<std::uint8_t> bytes;  // machine code
  BlockShape shape;
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
