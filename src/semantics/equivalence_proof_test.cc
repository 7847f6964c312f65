#include "semantics/equivalence_proof.h"

#include <gtest/gtest.h>

#include "block/asm_reader.h"
#include "semantics/emulator.h"

namespace surrogate::semantics {
namespace {

using Verdict = ProofResult::Verdict;

block::BasicBlock assemble(const std::string& text) { return block::read_asm(text + "\n", "test.s").blocks.at(0); }

ProofResult prove(const std::string& a, const std::string& b, const std::string& live = "all") {
  return prove_equivalence(assemble(a).instructions, assemble(b).instructions, LiveOut::parse(live));
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
    const ProofResult p = prove_equivalence(a.instructions, b.instructions, LiveOut::parse(c.live));
    ASSERT_EQ(p.verdict, Verdict::kRefuted) << c.a << " / " << c.b;
    EXPECT_NE(p.reason.find(c.differs), std::string::npos) << p.reason;
    ASSERT_TRUE(p.counterexample);
    const EquivalenceResult tested = check_equivalence(a.bytes, b.bytes, LiveOut::parse(c.live), {*p.counterexample});
    EXPECT_FALSE(tested.equivalent) << c.a << " / " << c.b << ": " << p.reason;
  }
}

TEST(EquivalenceProof, LeavesBlocksOutsideTheSubsetToTesting) {
  const ProofResult p = prove("movq (%rdi), %rax\naddq %rbx, %rax", "addq %rbx, %rax");
  EXPECT_EQ(p.verdict, Verdict::kOutsideSubset);
  EXPECT_EQ(p.reason, "first block, instruction 1: a memory operand");
  EXPECT_EQ(prove("addq %rbx, %rax", "pushq %rax").reason, "second block, instruction 1: the instruction PUSH64r");
}

}  // namespace
}  // namespace surrogate::semantics
