#include "semantics/equivalence_proof.h"

#include <gtest/gtest.h>

#include "block/asm_reader.h"
#include "semantics/emulator.h"

namespace surrogate::semantics {
namespace {

using Verdict = ProofResult::Verdict;

block::BasicBlock assemble(const std::string& text) { return block::read_asm(text + "\n", "test.s").blocks.at(0); }

ProofResult prove(const std::string& a, const std::string& b, const std::string& live = "all") {
  return prove_equivalence(assemble(a), assemble(b), LiveOut::parse(live));
}

TEST(EquivalenceProof, ProvesTheRewritesTheOptimizerMakes) {
  // Catalogue forms, with the flags they clobber dead.
  EXPECT_EQ(prove("movl $0, %eax", "xorl %eax, %eax", "rax").verdict, Verdict::kProven);
  EXPECT_EQ(prove("imulq $8, %rbx, %rax", "leaq (,%rbx,8), %rax", "rax,rbx").verdict, Verdict::kProven);
  EXPECT_EQ(prove("addq $1, %rax", "incq %rax", "rax").verdict, Verdict::kProven);
  EXPECT_EQ(prove("addq %rax, %rax", "shlq %rax", "rax,flags").verdict,
            Verdict::kRefuted);  // AF: shl leaves it undefined
  EXPECT_EQ(prove("addq %rax, %rax", "shlq %rax", "rax").verdict, Verdict::kProven);
  EXPECT_EQ(prove("addq %rax, %rax", "leaq (%rax,%rax), %rax", "rax,rbx").verdict, Verdict::kProven);
  // Independent instructions swapped; a dead copy deleted.
  EXPECT_EQ(prove("movq %rbx, %rcx\naddq %rdx, %rax", "addq %rdx, %rax\nmovq %rbx, %rcx").verdict, Verdict::kProven);
  EXPECT_EQ(prove("movq %rax, %rcx\nmovq %rbx, %rax", "movq %rbx, %rax", "rax,rbx,flags").verdict, Verdict::kProven);
  // The same undefined flag of the same computation is the same.
  EXPECT_EQ(prove("andq %rbx, %rax\nmovq %rsi, %rdi", "movq %rsi, %rdi\nandq %rbx, %rax").verdict, Verdict::kProven);
  // A 32-bit write zeroes the upper half whatever the condition.
  EXPECT_EQ(prove("cmovel %eax, %eax", "movl %eax, %eax").verdict, Verdict::kProven);
}

// A refutation names what differs and gives a state on which Unicorn sees
// the blocks differ.
TEST(EquivalenceProof, RefutesWithACounterexampleTheEmulatorConfirms) {
  struct Case {
    const char *a, *b, *live, *differs;
  };
  for (const Case& c :
       {Case{"movl $0, %eax", "xorl %eax, %eax", "all", "differ in"}, Case{"addq $1, %rax", "incq %rax", "all", "CF"},
        Case{"shrl $1, %eax", "sarl $1, %eax", "rax", "rax"}, Case{"movl %ebx, %eax", "movq %rbx, %rax", "rax", "rax"},
        Case{"leaq 1(%rax), %rax", "leal 1(%rax), %eax", "rax", "rax"},
        Case{"cmovneq %rbx, %rax", "cmoveq %rbx, %rax", "rax", "rax"},
        Case{"subq %rbx, %rax\nsetb %cl", "subq %rbx, %rax\nsetl %cl", "rcx", "rcx"}}) {
    const block::BasicBlock a = assemble(c.a), b = assemble(c.b);
    const ProofResult p = prove_equivalence(a, b, LiveOut::parse(c.live));
    ASSERT_EQ(p.verdict, Verdict::kRefuted) << c.a << " / " << c.b;
    EXPECT_NE(p.reason.find(c.differs), std::string::npos) << p.reason;
    ASSERT_TRUE(p.counterexample);
    const EquivalenceResult tested = check_equivalence(a.bytes, b.bytes, LiveOut::parse(c.live), {*p.counterexample});
    EXPECT_FALSE(tested.equivalent) << c.a << " / " << c.b << ": " << p.reason;
  }
}

// Memory: any two addresses may alias, unless the same registers put them apart.
TEST(EquivalenceProof, ReasonsAboutMemoryAsTheMachineDoes) {
  EXPECT_EQ(prove("movq (%rdi), %rax\naddq %rbx, %rax", "movq %rbx, %rax\naddq (%rdi), %rax").verdict,
            Verdict::kProven);
  EXPECT_EQ(prove("movq %rax, (%rdi)\nmovq %rbx, 8(%rdi)", "movq %rbx, 8(%rdi)\nmovq %rax, (%rdi)").verdict,
            Verdict::kProven);
  const ProofResult alias = prove("movq %rax, (%rdi)\nmovq %rbx, (%rsi)", "movq %rbx, (%rsi)\nmovq %rax, (%rdi)");
  EXPECT_EQ(alias.verdict, Verdict::kRefuted);
  EXPECT_EQ(alias.reason, "differ in memory");
  ASSERT_TRUE(alias.counterexample);
  EXPECT_EQ(alias.counterexample->gpr[7], alias.counterexample->gpr[6]) << "rdi = rsi";
  // A store then a load of the same place is a copy.
  EXPECT_EQ(prove("movq %rax, 8(%rsp)\nmovq 8(%rsp), %rbx", "movq %rax, 8(%rsp)\nmovq %rax, %rbx").verdict,
            Verdict::kProven);
  // push/pop: the same registers, not the same memory.
  EXPECT_EQ(prove("pushq %rbx\npopq %rax", "movq %rbx, %rax", "rax,rbx,rsp").verdict, Verdict::kProven);
  EXPECT_EQ(prove("pushq %rbx\npopq %rax", "movq %rbx, %rax").reason, "differ in memory");
  // rip-relative: the same global from another offset is the same place;
  // the stack guard at %fs:40 is one place whatever the base.
  EXPECT_EQ(prove("movq 100(%rip), %rax\nmovq %rbx, %rcx", "movq %rbx, %rcx\nmovq 100(%rip), %rax").verdict,
            Verdict::kRefuted);  // moved 3 bytes later, the displacement names another address
  EXPECT_EQ(prove("movq 100(%rip), %rax\nmovq %rbx, %rcx", "movq %rbx, %rcx\nmovq 97(%rip), %rax").verdict,
            Verdict::kProven);
  EXPECT_EQ(prove("movq %fs:40, %rax\nxorq %rax, %rax", "movq %fs:40, %rcx\nxorl %eax, %eax", "rax,flags").verdict,
            Verdict::kRefuted);  // xorq sets the flags as xorl does, but AF is undefined: an uninterpreted value
  EXPECT_EQ(
      prove("movq %fs:40, %rax\nmovq %rax, 8(%rsp)", "movq %fs:40, %rcx\nmovq %rcx, 8(%rsp)", "rsp,memory").verdict,
      Verdict::kProven);
  // A dead load may go; a new access may not come (it could fault).
  EXPECT_EQ(prove("movq (%rdi), %rcx\nmovq %rbx, %rax", "movq %rbx, %rax", "rax,rbx,rdi").verdict, Verdict::kProven);
  const ProofResult added = prove("movq %rbx, %rax", "movq (%rdi), %rcx\nmovq %rbx, %rax", "rax,rbx,rdi");
  EXPECT_EQ(added.verdict, Verdict::kRefuted);
  EXPECT_EQ(added.reason, "differ in a page only the second block touches");
}

// Z3's work is bounded in its own units: a tiny bound is no verdict.
// SSE moves: a struct zeroed through xmm0 is the same bytes; an aligned
// store may not appear where the original's stores could be misaligned.
TEST(EquivalenceProof, ProvesSseMovesAndKeepsAlignmentFaults) {
  EXPECT_EQ(prove("pxor %xmm0, %xmm0\nmovq %rdi, %rax\nmovups %xmm0, 16(%rsp)",
                  "movq %rdi, %rax\npxor %xmm0, %xmm0\nmovups %xmm0, 16(%rsp)")
                .verdict,
            Verdict::kProven);
  EXPECT_EQ(prove("pxor %xmm0, %xmm0\nmovaps %xmm0, 16(%rsp)", "xorps %xmm0, %xmm0\nmovaps %xmm0, 16(%rsp)").verdict,
            Verdict::kProven);
  EXPECT_EQ(prove("movq $0, 16(%rsp)\nmovq $0, 24(%rsp)", "pxor %xmm0, %xmm0\nmovups %xmm0, 16(%rsp)", "all").reason,
            "differ in xmm0");
  EXPECT_EQ(
      prove("movq $0, 16(%rsp)\nmovq $0, 24(%rsp)", "pxor %xmm0, %xmm0\nmovups %xmm0, 16(%rsp)", "rsp,memory").verdict,
      Verdict::kProven);
  EXPECT_EQ(
      prove("movq $0, 16(%rsp)\nmovq $0, 24(%rsp)", "pxor %xmm0, %xmm0\nmovaps %xmm0, 16(%rsp)", "rsp,memory").reason,
      "differ in an aligned access only the second block may miss");
  EXPECT_EQ(prove("movq %rax, %xmm0\nmovq %xmm0, %rbx", "movq %rax, %rbx\nmovq %rax, %xmm0").verdict, Verdict::kProven);
}

TEST(EquivalenceProof, GivesUpAtItsResourceLimit) {
  const block::BasicBlock a = assemble("imulq %rbx, %rax\nimulq %rcx, %rax"),
                          b = assemble("imulq %rcx, %rax\nimulq %rbx, %rax");
  EXPECT_EQ(prove_equivalence(a, b, LiveOut::parse("rax")).verdict, Verdict::kProven);
  const ProofResult bounded = prove_equivalence(a, b, LiveOut::parse("rax"), 1);
  EXPECT_EQ(bounded.verdict, Verdict::kUnknown);
  EXPECT_EQ(bounded.reason.rfind("z3: ", 0), 0u) << bounded.reason;
}

TEST(EquivalenceProof, LeavesBlocksOutsideTheSubsetToTesting) {
  const ProofResult p = prove("vaddps %ymm1, %ymm2, %ymm0\naddq %rbx, %rax", "addq %rbx, %rax");  // VEX: outside
  EXPECT_EQ(p.verdict, Verdict::kOutsideSubset);
  EXPECT_EQ(p.reason, "first block, instruction 1: the instruction VADDPSYrr");
  EXPECT_EQ(prove("addq %rbx, %rax", "rep stosq %rax, %es:(%rdi)").reason,
            "second block, instruction 1: a lock or rep prefix");
}

}  // namespace
}  // namespace surrogate::semantics
