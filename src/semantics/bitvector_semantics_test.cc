#include "semantics/bitvector_semantics.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "block/asm_reader.h"
#include "semantics/emulator.h"
#include "semantics/equivalence.h"

namespace surrogate::semantics {
namespace {

block::BasicBlock assemble(const std::string& text) {
  block::BlockFile file = block::read_asm(text + "\n", "test.s", block::AsmSyntax::kAtt);
  EXPECT_EQ(file.blocks.size(), 1u) << text;
  return file.blocks.at(0);
}

// Every form of the subset, at every width, against Unicorn on the same 400
// states (edge cases first, then random: counts in cl beyond the width,
// signs, carries): each register the emulator ends with, and each flag the
// semantics define, must be the emulator's. Undefined flags are skipped;
// at least half of all flag values compared must be defined.
TEST(BitvectorSemantics, AgreesWithUnicornOnEveryFormOfTheSubset) {
  const char* const kInstructions[] = {"addq %rbx, %rax",
                                       "addl $-1, %eax",
                                       "addb $100, %cl",
                                       "addw %si, %di",
                                       "addq $1000, %rax",
                                       "addb %ah, %bl",
                                       "adcq %rbx, %rax",
                                       "adcb $7, %dl",
                                       "sbbl $3, %ecx",
                                       "sbbq %rdx, %r9",
                                       "subq %rbx, %rax",
                                       "subw %ax, %bx",
                                       "subl $-128, %r10d",
                                       "cmpq %rbx, %rax",
                                       "cmpb $7, %bl",
                                       "cmpl $100000, %eax",
                                       "testq %rbx, %rax",
                                       "testb $1, %al",
                                       "testl $0x80000000, %r11d",
                                       "andq $-16, %rsp",
                                       "orl %ebx, %eax",
                                       "xorl %eax, %eax",
                                       "xorb %ah, %bl",
                                       "andw $0x0ff0, %dx",
                                       "incq %rax",
                                       "decl %ecx",
                                       "incw %bx",
                                       "decb %dh",
                                       "negq %rax",
                                       "negl %r8d",
                                       "negb %cl",
                                       "notq %rdx",
                                       "notw %si",
                                       "shlq $3, %rax",
                                       "shlq %rax",
                                       "shlq %cl, %rax",
                                       "shrl $5, %ebx",
                                       "shrb %cl, %bl",
                                       "shrw %cl, %dx",
                                       "sarq $63, %rax",
                                       "sarl %cl, %edx",
                                       "sarb $1, %ah",
                                       "sarw $3, %si",
                                       "shlb %cl, %al",
                                       "rolq $3, %rax",
                                       "rorw $7, %ax",
                                       "roll %cl, %ebx",
                                       "rolb %cl, %dl",
                                       "rorq %rdi",
                                       "rorb $1, %cl",
                                       "imulq %rbx, %rax",
                                       "imulq $12345, %rbx, %rcx",
                                       "imulw $-3, %ax, %dx",
                                       "imull %esi, %edi",
                                       "imulq $-1, %r8, %r9",
                                       "movq %rbx, %rax",
                                       "movl %ebx, %eax",
                                       "movb %bl, %ah",
                                       "movw %r9w, %r10w",
                                       "movq $-1, %rax",
                                       "movabsq $0x123456789abcdef, %rax",
                                       "movw $5, %r9w",
                                       "movb $-2, %bh",
                                       "movl $7, %r12d",
                                       "movzbl %al, %ecx",
                                       "movzwl %bx, %eax",
                                       "movzbw %dh, %si",
                                       "movsbq %al, %rcx",
                                       "movslq %eax, %rdx",
                                       "movswl %ax, %ebx",
                                       "movsbw %bl, %cx",
                                       "leaq 8(%rax,%rbx,4), %rcx",
                                       "leal -1(%rdi), %eax",
                                       "leaq (%rax,%rax,2), %rax",
                                       "leaq -100(,%rsi,8), %rdx",
                                       "leal (%eax,%ebx), %ecx",
                                       "leaw 3(%rax), %dx",
                                       "cmovneq %rbx, %rax",
                                       "cmovll %ecx, %edx",
                                       "cmovbeq %r8, %r9",
                                       "cmovow %ax, %bx",
                                       "cmovgel %esi, %edi",
                                       "cmovpq %rax, %rcx",
                                       "setg %al",
                                       "setnp %bl",
                                       "seto %ah",
                                       "setb %r8b",
                                       "setle %dil",
                                       "seta %cl",
                                       "sets %dl",
                                       "xchgq %rbx, %rcx",
                                       "xchgl %eax, %edx",
                                       "xchgq %rax, %r11",
                                       "xchgb %ah, %al",
                                       "cltq",
                                       "cqto",
                                       "cltd",
                                       "cwtl",
                                       "cbtw",
                                       "cwtd",
                                       "bswapq %rax",
                                       "bswapl %ecx",
                                       "nop",
                                       "nopw (%rax,%rax)",
                                       "endbr64"};
  const std::vector<MachineState> states = test_states(400, 17);
  Emulator emulator;
  std::size_t flags_compared = 0, flags_defined = 0;
  for (const char* text : kInstructions) {
    const block::BasicBlock block = assemble(text);
    ASSERT_EQ(block.instructions.size(), 1u) << text;
    z3::context z3;
    const BitvectorSemantics semantics(z3);
    SymbolicState probe = semantics.any_state();
    ASSERT_EQ(semantics.apply(block.instructions[0], probe), "") << text;
    for (const MachineState& state : states) {
      const Outcome out = emulator.run(block.bytes, state);
      ASSERT_TRUE(out.ok) << text << ": " << out.fault;
      SymbolicState s = semantics.state_of(state);
      ASSERT_EQ(semantics.apply(block.instructions[0], s), "") << text;
      std::uint64_t known = 0;
      const MachineState ours = semantics.values_of(s, &known);
      for (int r = 0; r < 16; ++r)
        ASSERT_EQ(ours.gpr[r], out.state.gpr[r]) << text << ": " << gpr_name(r) << " from rax=" << std::hex
                                                 << state.gpr[0] << " rbx=" << state.gpr[3] << " rcx=" << state.gpr[1];
      for (unsigned f = 0; f < kFlagCount; ++f) {
        const std::uint64_t bit = 1ull << kFlagBit[f];
        ++flags_compared;
        if (!(known & bit)) continue;
        ++flags_defined;
        ASSERT_EQ(ours.flags & bit, out.state.flags & bit)
            << text << ": " << kFlagName[f] << " from rax=" << std::hex << state.gpr[0] << " rbx=" << state.gpr[3]
            << " rcx=" << state.gpr[1] << " flags=" << state.flags;
      }
    }
  }
  std::printf("%zu instructions on %zu states: %zu of %zu flag values defined and equal\n", std::size(kInstructions),
              states.size(), flags_defined, flags_compared);
  EXPECT_GT(flags_defined * 2, flags_compared);
}

TEST(BitvectorSemantics, SaysWhatIsOutsideTheSubset) {
  z3::context z3;
  const BitvectorSemantics semantics(z3);
  for (const auto& [text, reason] :
       std::vector<std::pair<std::string, std::string>>{{"movq (%rdi), %rax", "a memory operand"},
                                                        {"addq %rax, 8(%rsp)", "a memory operand"},
                                                        {"pushq %rbx", "the instruction PUSH64r"},
                                                        {"mulq %rbx", "the instruction MUL64r"},
                                                        {"leaq 8(%rip), %rax", "an lea relative to rip"},
                                                        {"vaddps %ymm1, %ymm2, %ymm0", "the instruction VADDPSYrr"}}) {
    const block::BasicBlock block = assemble(text);
    SymbolicState s = semantics.any_state();
    EXPECT_EQ(semantics.apply(block.instructions.at(0), s), reason) << text;
  }
}

}  // namespace
}  // namespace surrogate::semantics
