// The optimizer on blocks with a known better form, with the shipped
// haswell surrogate and llvm-mca's haswell model.
#include "optimize/optimizer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "block/decoder.h"
#include "block/machine_code_encoder.h"
#include "optimize/operand_guide.h"
#include "optimize/rewrite_moves.h"
#include "mca/cpu_params.h"
#include "mca/simulator.h"
#include "runtime/surrogate_runtime.h"
#include "semantics/equivalence_proof.h"

namespace surrogate::optimize {
namespace {

block::BasicBlock decoded(std::vector<std::uint8_t> bytes) {
  return block::Decoder().decode_block(std::move(bytes), "test", {}, nullptr);
}

// Does the move set ever swap the two instructions of `bytes`?
bool ever_swapped(std::vector<std::uint8_t> bytes) {
  const block::BasicBlock b = decoded(std::move(bytes));
  std::mt19937_64 rng(1);
  for (int k = 0; k < 2000; ++k)
    if (auto r = random_move(b.instructions, rng); r && r->move == "swap 0-1") return true;
  return false;
}

// A guide that estimates every variant whose changed operand became
// `favoured` 30% faster and the others 30% slower (a test double of the
// interface, not of a model).
class FavourRegister : public OperandGuide {
 public:
  explicit FavourRegister(unsigned favoured) : favoured_(favoured) {}
  std::vector<double> estimate(const std::vector<llvm::MCInst>& block, std::size_t index,
                               const std::vector<llvm::MCInst>& variants) override {
    std::vector<double> out;
    for (const llvm::MCInst& v : variants) {
      bool becomes = false;
      for (unsigned k = 0; k < v.getNumOperands(); ++k)
        becomes = becomes || (v.getOperand(k).isReg() && v.getOperand(k).getReg() == favoured_ &&
                              block[index].getOperand(k).getReg() != favoured_);
      out.push_back(becomes ? -0.3 : 0.3);
    }
    ++calls;
    return out;
  }
  int calls = 0;

 private:
  unsigned favoured_;
};

// Operand moves follow the guide's estimates; without a guide they are
// uniform over the block's other registers of the same width.
TEST(RewriteMoves, AGuideSteersOperandMoves) {
  // add %rbx,%rax; add %rdx,%rcx; add %rdi,%rsi: six GR64 registers.
  const block::BasicBlock b = decoded({0x48, 0x01, 0xD8, 0x48, 0x01, 0xD1, 0x48, 0x01, 0xFE});
  const unsigned rdi = b.instructions[2].getOperand(2).getReg();
  auto operand_moves_to_rdi = [&](OperandGuide* guide) {
    std::mt19937_64 rng(3);
    int moves = 0, to_rdi = 0;
    for (int k = 0; k < 4000; ++k)
      if (auto r = random_move(b.instructions, rng, guide); r && r->move.rfind("operand ", 0) == 0) {
        ++moves;
        to_rdi += r->move.size() > 4 && r->move.compare(r->move.size() - 4, 4, " RDI") == 0;
      }
    return std::pair{moves, to_rdi};
  };
  FavourRegister guide(rdi);
  const auto [guided, guided_rdi] = operand_moves_to_rdi(&guide);
  const auto [plain, plain_rdi] = operand_moves_to_rdi(nullptr);
  ASSERT_GT(guided, 500);
  ASSERT_GT(plain, 500);
  EXPECT_GT(guide.calls, 0);
  // exp(0.6 / 0.05): all but ~1e-5 of the weight is on an operand becoming
  // rdi, which every instruction has.
  EXPECT_GT(guided_rdi, 0.99 * guided);
  EXPECT_LT(plain_rdi, 0.3 * plain);  // uniform: about 1 in 5
}

// A store is not reordered with another memory access unless their addresses
// are provably apart: random test states would almost never make them alias.
TEST(RewriteMoves, StoresAreReorderedOnlyWithAccessesProvablyApart) {
  EXPECT_FALSE(ever_swapped({0x48, 0x89, 0x53, 0x08, 0x0F, 0x11, 0x00}));  // mov %rdx,8(%rbx); movups %xmm0,(%rax)
  EXPECT_FALSE(ever_swapped({0x5B, 0x0F, 0x11, 0x40, 0x10}));              // pop %rbx; movups %xmm0,0x10(%rax)
  EXPECT_FALSE(ever_swapped({0x48, 0x89, 0x53, 0x08, 0x48, 0x89, 0x4B, 0x10}));  // 8(%rbx), 0x10(%rbx): may overlap
  EXPECT_TRUE(ever_swapped({0x48, 0x89, 0x53, 0x08, 0x48, 0x89, 0x4B, 0x50}));   // 8(%rbx), 0x50(%rbx): apart
  EXPECT_TRUE(ever_swapped({0x48, 0x8B, 0x08, 0x48, 0x8B, 0x13}));               // two loads
  EXPECT_TRUE(ever_swapped({0x48, 0x89, 0x53, 0x08, 0x48, 0x01, 0xC1}));         // a store and an add
}

// The block as one line: instructions separated by "; ".
std::string disassemble(const block::BasicBlock& b) {
  std::string out;
  for (const llvm::MCInst& inst : b.instructions) out += (out.empty() ? "" : "; ") + block::format_instruction(inst);
  return out;
}

// Every stack move the move set draws for `bytes`, by its description.
std::map<std::string, block::BasicBlock> stack_moves(std::vector<std::uint8_t> bytes, bool flags_live_out) {
  const block::BasicBlock b = decoded(std::move(bytes));
  block::MachineCodeEncoder encoder;
  std::map<std::string, block::BasicBlock> out;
  std::mt19937_64 rng(5);
  for (int k = 0; k < 4000; ++k)
    if (auto r = random_move(b.instructions, rng, nullptr, flags_live_out); r && r->move.rfind("stack ", 0) == 0) {
      std::vector<std::uint8_t> rewritten;
      for (const llvm::MCInst& inst : r->instructions) EXPECT_TRUE(encoder.encode(inst, &rewritten, nullptr));
      out.emplace(r->move, decoded(rewritten));
    }
  return out;
}

// Pushes (pops) with stack-neutral instructions between them become one lea
// of rsp and plain stores (loads) at the same addresses; the rsp adjustment
// beside them is folded in where the flags it writes are dead, and only
// there. Z3 decides every rewrite, for every input and aliasing.
TEST(RewriteMoves, StackMovesKeepEveryAddressAndValue) {
  using Verdict = semantics::ProofResult::Verdict;
  const semantics::LiveOut all = semantics::LiveOut::parse("all");
  // push %rbx; mov %rdi,%rax; push %rbp; sub $16,%rsp; mov %rsp,%rbp; push %r12
  const std::vector<std::uint8_t> prologue = {0x53, 0x48, 0x89, 0xF8, 0x55, 0x48, 0x83,
                                              0xEC, 0x10, 0x48, 0x89, 0xE5, 0x41, 0x54};
  const block::BasicBlock original = decoded(prologue);
  // Flags live after the block: sub's flags are, so it stays. The push
  // after `mov %rsp,%rbp` (it reads rsp) is a group of its own.
  const auto kept = stack_moves(prologue, true);
  ASSERT_EQ(kept.size(), 2u);
  ASSERT_TRUE(kept.count("stack 0-2 push->mov"));
  ASSERT_TRUE(kept.count("stack 5-5 push->mov"));
  EXPECT_EQ(semantics::prove_equivalence(original, kept.at("stack 0-2 push->mov"), all).verdict, Verdict::kProven);
  EXPECT_EQ(semantics::prove_equivalence(original, kept.at("stack 5-5 push->mov"), all).verdict, Verdict::kProven);
  // Flags dead: folded.
  const auto folds = stack_moves(prologue, false);
  ASSERT_EQ(folds.size(), 2u);
  ASSERT_TRUE(folds.count("stack 0-3 push->mov+fold"));
  const block::BasicBlock& folded = folds.at("stack 0-3 push->mov+fold");
  EXPECT_EQ(disassemble(folded),
            "leaq -32(%rsp), %rsp; movq %rbx, 24(%rsp); movq %rdi, %rax; movq %rbp, 16(%rsp); "
            "movq %rsp, %rbp; pushq %r12");
  EXPECT_EQ(semantics::prove_equivalence(original, folded, all).verdict, Verdict::kRefuted);  // sub's flags
  EXPECT_EQ(
      semantics::prove_equivalence(original, folded, semantics::LiveOut::parse("rax,rbx,rsp,rbp,r12,memory")).verdict,
      Verdict::kProven);

  // add $24,%rsp; xor %ecx,%ecx; pop %rbx; pop %rbp; pop %r12: xor writes
  // the flags after the add, so it folds with the flags live too.
  const std::vector<std::uint8_t> epilogue = {0x48, 0x83, 0xC4, 0x18, 0x31, 0xC9, 0x5B, 0x5D, 0x41, 0x5C};
  const auto pops = stack_moves(epilogue, true);
  ASSERT_EQ(pops.size(), 1u);
  const block::BasicBlock& pop_fold = pops.at("stack 0-4 pop->mov+fold");
  EXPECT_EQ(disassemble(pop_fold),
            "xorl %ecx, %ecx; movq 24(%rsp), %rbx; movq 32(%rsp), %rbp; movq 40(%rsp), %r12; leaq 48(%rsp), %rsp");
  EXPECT_EQ(semantics::prove_equivalence(decoded(epilogue), pop_fold, all).verdict, Verdict::kProven);
  // add $8,%rsp; pop %rbx; pop %rbp; adc %rax,%rax: adc reads the add's carry.
  const auto read = stack_moves({0x48, 0x83, 0xC4, 0x08, 0x5B, 0x5D, 0x48, 0x11, 0xC0}, false);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_TRUE(read.count("stack 1-2 pop->mov"));
}

TEST(RewriteMoves, APathSaysWhatChangedNotTheWalk) {
  EXPECT_EQ(path_with("", "swap 0-1"), "swap 0-1");
  EXPECT_EQ(path_with("swap 0-1", "swap 0-1"), "");
  EXPECT_EQ(path_with("delete 2;swap 0-1", "swap 0-1"), "delete 2");
  EXPECT_EQ(path_with("delete 2;swap 10-11", "swap 0-1"), "delete 2;swap 10-11;swap 0-1");  // not a suffix match
  EXPECT_EQ(path_with("delete 1", "delete 1"), "delete 1;delete 1");  // only swaps undo themselves
  std::string path;
  for (const char* m : {"swap 0-1", "swap 0-1", "swap 0-1", "swap 0-1", "delete 1"}) path = path_with(path, m);
  EXPECT_EQ(path, "delete 1");
}

// The search finds the folded epilogue whatever its seed (with the fold a
// coin flip, a third of the seeds took the unfolded form first and could
// not fold it afterwards).
TEST(Optimizer, FoldsAnEpilogueWhateverTheSeed) {
  mca::Simulator simulator{mca::CpuParams::stock("haswell")};
  runtime::Surrogate surrogate{std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg"};
  const block::BasicBlock b = decoded({0x48, 0x83, 0xC4, 0x08, 0x5B, 0x5D});  // add $8,%rsp; pop %rbx; pop %rbp
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    OptimizeOptions o;
    o.live = semantics::LiveOut::parse("rbx,rbp,rsp,memory");
    o.budget = 300;
    o.seed = seed;
    const OptimizeResult r = Optimizer(surrogate, simulator, o).optimize(b);
    EXPECT_EQ(disassemble(decoded(r.optimized)), "movq 8(%rsp), %rbx; movq 16(%rsp), %rbp; leaq 24(%rsp), %rsp")
        << "seed " << seed << ": " << r.moves;
    EXPECT_EQ(r.verified, "z3");
  }
}

struct Fixture {
  runtime::Surrogate surrogate{std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg"};
  mca::Simulator simulator{mca::CpuParams::stock("haswell")};
};

OptimizeOptions options(const std::string& live) {
  OptimizeOptions o;
  o.live = semantics::LiveOut::parse(live);
  o.budget = 300;
  return o;
}

// mov eax, 1; mov eax, 2: the first is dead even with everything live.
// Proven (and tested); with a conversion of packed integers to floats
// beside it, the Z3 subset does not cover the block and the rewrite is
// tested on 1,000 states.
TEST(Optimizer, DropsADeadInstructionWithEverythingLive) {
  Fixture f;
  Optimizer optimizer(f.surrogate, f.simulator, options("all"));
  const block::BasicBlock b = decoded({0xB8, 0x01, 0x00, 0x00, 0x00, 0xB8, 0x02, 0x00, 0x00, 0x00});
  const OptimizeResult r = optimizer.optimize(b);
  EXPECT_EQ(r.optimized, (std::vector<std::uint8_t>{0xB8, 0x02, 0x00, 0x00, 0x00})) << r.moves;
  EXPECT_LT(r.optimized_cycles, r.cycles);
  EXPECT_EQ(r.verified, "z3");
  EXPECT_GT(r.evaluations, 0u);

  // imul rcx, rcx (a 3-cycle chain, dead here); cvtdq2ps xmm0, xmm1
  Optimizer vector_live(f.surrogate, f.simulator, options("xmm0,xmm1"));
  const block::BasicBlock vector = decoded({0x48, 0x0F, 0xAF, 0xC9, 0x0F, 0x5B, 0xC1});
  const OptimizeResult t = vector_live.optimize(vector);
  EXPECT_EQ(t.optimized, (std::vector<std::uint8_t>{0x0F, 0x5B, 0xC1})) << t.moves;
  EXPECT_EQ(t.verified, "tested:1000");
}

// imul rax, rax, 4 (3 cycles, a chain) -> lea rax, [rax*4] (1 cycle): right
// only where the flags are dead.
TEST(Optimizer, StrengthReductionOnlyWhereTheFlagsAreDead) {
  Fixture f;
  const block::BasicBlock b = decoded({0x48, 0x6B, 0xC0, 0x04});  // imul rax, rax, 4
  Optimizer dead_flags(f.surrogate, f.simulator, options("rax"));
  const OptimizeResult r = dead_flags.optimize(b);
  EXPECT_NE(r.optimized, b.bytes) << "no rewrite found";
  EXPECT_NE(r.moves.find("imul->lea"), std::string::npos) << r.moves;
  EXPECT_LT(r.optimized_cycles, r.cycles / 2);
  EXPECT_EQ(r.verified, "z3");

  Optimizer all_live(f.surrogate, f.simulator, options("all"));
  const OptimizeResult unchanged = all_live.optimize(b);
  EXPECT_EQ(unchanged.optimized, b.bytes) << unchanged.moves;
  EXPECT_EQ(unchanged.verified, "");
  EXPECT_EQ(unchanged.optimized_cycles, unchanged.cycles);
}

// A lazy initialisation, p = p ? p : q (a global through rip): deleting
// the cmove and the store back passes 1,000 random states (the loaded
// pointer is never 0 there) but is wrong where it is 0. Z3 says so and the
// optimizer does not accept it (found by the held-out study, BENCHMARKS 22).
TEST(Optimizer, RejectsARewriteTheTestsPassButZ3Refutes) {
  Fixture f;
  OptimizeOptions o = options("all");
  o.budget = 500;
  o.seed = 1;
  Optimizer optimizer(f.surrogate, f.simulator, o);
  // movq 995185(%rip), %rax; pushq %rbx; movq %rdi, %rbx; testq %rax, %rax;
  // cmoveq 989290(%rip), %rax; movq %rax, 995163(%rip)
  const block::BasicBlock b =
      decoded({0x48, 0x8B, 0x05, 0x71, 0x2F, 0x0F, 0x00, 0x53, 0x48, 0x89, 0xFB, 0x48, 0x85, 0xC0, 0x48,
               0x0F, 0x44, 0x05, 0x6A, 0x18, 0x0F, 0x00, 0x48, 0x89, 0x05, 0x5B, 0x2F, 0x0F, 0x00});
  const OptimizeResult r = optimizer.optimize(b);
  EXPECT_GT(r.refuted, 0u);
  EXPECT_EQ(r.optimized, b.bytes) << r.moves;
}

// endbr64 is a no-op to the emulator, but a CET landing pad must stay where
// it is: the nops around it may go, it may not.
TEST(Optimizer, KeepsLandingPadsInPlace) {
  Fixture f;
  Optimizer optimizer(f.surrogate, f.simulator, options("all"));
  const block::BasicBlock b = decoded({0xF3, 0x0F, 0x1E, 0xFA, 0x90, 0x53});  // endbr64; nop; push rbx
  const OptimizeResult r = optimizer.optimize(b);
  ASSERT_GE(r.optimized.size(), 4u);
  EXPECT_EQ(std::vector<std::uint8_t>(r.optimized.begin(), r.optimized.begin() + 4),
            (std::vector<std::uint8_t>{0xF3, 0x0F, 0x1E, 0xFA}))
      << r.moves;
}

TEST(Optimizer, TheSameSeedGivesTheSameAnswer) {
  Fixture f;
  const block::BasicBlock b = decoded({0x48, 0x6B, 0xC0, 0x04, 0x48, 0x83, 0xC3, 0x01});  // imul; add rbx, 1
  Optimizer a(f.surrogate, f.simulator, options("rax,rbx")), c(f.surrogate, f.simulator, options("rax,rbx"));
  const OptimizeResult ra = a.optimize(b), rc = c.optimize(b);
  EXPECT_EQ(ra.optimized, rc.optimized);
  EXPECT_EQ(ra.moves, rc.moves);
}

}  // namespace
}  // namespace surrogate::optimize
