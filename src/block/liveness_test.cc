// Liveness over small pieces of code whose live registers are known by hand.
#include "block/liveness.h"

#include <gtest/gtest.h>

#include <deque>

#include "block/decoder.h"
#include "util/hex.h"

namespace surrogate::block {
namespace {

constexpr std::uint64_t kBase = 0x1000;

// Decodes `hex` at kBase, one instruction after another.
class Code {
 public:
  explicit Code(std::string hex) {  // spaces between instructions allowed
    std::erase(hex, ' ');
    std::size_t offset;
    std::string error;
    const auto bytes = util::parse_hex(hex, &offset, &error);
    if (!bytes) throw std::runtime_error("bad test hex: " + error);
    bytes_ = *bytes;
    Decoder decoder;
    for (std::size_t at = 0; at < bytes_.size();) {
      llvm::MCInst& inst = insts_.emplace_back();
      const std::size_t size = decoder.decode_instruction(bytes_.data() + at, bytes_.size() - at, kBase + at, inst);
      if (!size) throw std::runtime_error("undecodable test code at " + std::to_string(at));
      code_.push_back({kBase + at, static_cast<std::uint32_t>(size), &inst});
      at += size;
    }
  }
  std::vector<LiveRegisters> live(const std::set<std::uint64_t>& function_starts = {}) const {
    return live_after_each(code_, function_starts);
  }
  std::uint64_t address(std::size_t i) const { return code_[i].address; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::deque<llvm::MCInst> insts_;  // stable addresses
  std::vector<CodeInstruction> code_;
};

enum : unsigned { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15 };
bool has(const LiveRegisters& l, unsigned gpr) { return (l.gprs >> gpr) & 1; }
bool has_xmm(const LiveRegisters& l, unsigned x) { return (l.xmms >> x) & 1; }

TEST(Liveness, BeforeAReturnOnlyResultsAndCalleeSavedRegistersLive) {
  // add %rax,%rbx; mov $1,%eax; ret
  const auto live = Code("4801c3 b801000000 c3").live();
  EXPECT_FALSE(has(live[0], rax));  // overwritten by the 32-bit mov (zero-extends)
  EXPECT_TRUE(has(live[0], rbx));   // callee-saved
  EXPECT_TRUE(has(live[0], rdx));   // a result register
  EXPECT_FALSE(has(live[0], rcx));
  EXPECT_FALSE(live[0].flags);
  EXPECT_TRUE(has_xmm(live[0], 1));
  EXPECT_FALSE(has_xmm(live[0], 2));
}

TEST(Liveness, ALoopReachesItsFixedPoint) {
  // L: add $1,%rcx; mov $1,%al; cmp %rdx,%rcx; jne L; mov %rcx,%rax; ret
  const auto live = Code("4883c101 b001 4839d1 75f5 4889c8 c3").live();
  EXPECT_TRUE(has(live[0], rcx));
  EXPECT_TRUE(has(live[0], rdx));   // read again on the next iteration
  EXPECT_FALSE(live[0].flags);      // cmp sets them all before jne reads them
  EXPECT_FALSE(has(live[0], rax));  // mov %rcx,%rax sets it before the ret
  EXPECT_TRUE(live[2].flags);       // jne reads them
  EXPECT_FALSE(live[3].flags);
  EXPECT_TRUE(has(live[3], rdx));
}

TEST(Liveness, PartialWritesKeepTheRegisterLive) {
  // xor %ecx,%ecx; mov $1,%al; ret: the ret's rax keeps its upper 56 bits from before
  const auto live = Code("31c9 b001 c3").live();
  EXPECT_TRUE(has(live[0], rax));
  EXPECT_FALSE(has(live[0], rcx));
}

TEST(Liveness, IncKeepsTheCarryFlagLiveAddDoesNot) {
  // nop; inc %rax; jb +1; ret; ret
  EXPECT_TRUE(Code("90 48ffc0 7201 c3 c3").live()[0].flags);
  // nop; add $1,%rax; jb +1; ret; ret
  EXPECT_FALSE(Code("90 4883c001 7201 c3 c3").live()[0].flags);
}

TEST(Liveness, ACallReadsArgumentsAndClobbersCallerSavedRegisters) {
  // mov $5,%r11; mov %rbx,%rdi; call next; ret
  const auto live = Code("49c7c305000000 4889df e800000000 c3").live();
  EXPECT_FALSE(has(live[0], r11));  // clobbered by the call before anyone reads it
  EXPECT_TRUE(has(live[1], rdi));   // an argument
  EXPECT_TRUE(has(live[1], rsi));   // maybe an argument
  EXPECT_FALSE(live[1].flags);
  EXPECT_TRUE(has(live[2], rax));  // the call's result, returned
  EXPECT_FALSE(has(live[2], rcx));
}

TEST(Liveness, UnknownSuccessorsMakeEverythingLive) {
  // add $1,%rax; jmp *%rcx
  const auto indirect = Code("4883c001 ffe1").live();
  EXPECT_EQ(indirect[0], LiveRegisters{});
  // nop, then the end of the code
  EXPECT_EQ(Code("90").live()[0], LiveRegisters{});
}

TEST(Liveness, ASystemCallReadsEverything) {
  // mov $1,%edi; syscall; ret: rdi is the system call's first argument
  EXPECT_TRUE(has(Code("bf01000000 0f05 c3").live()[0], rdi));
}

TEST(Liveness, AJumpToAFunctionIsATailCall) {
  // add $1,%r11; jmp F; F: ret
  const Code code("4983c301 eb00 c3");
  const auto live = code.live({code.address(2)});
  EXPECT_FALSE(has(live[0], r11));
  EXPECT_TRUE(has(live[0], rdi));  // an argument of the tail call
  EXPECT_TRUE(has(live[0], rbx));
  EXPECT_FALSE(live[0].flags);
  // Not a function start: only what F reads.
  EXPECT_FALSE(has(code.live()[0], rdi));
}

TEST(Liveness, OnlyVexWritesKillAVectorRegister) {
  // nop; vmovq %rax,%xmm2; addsd %xmm2,%xmm0; ret
  EXPECT_FALSE(has_xmm(Code("90 c4e1f96ed0 f20f58c2 c3").live()[0], 2));
  // nop; movq %rax,%xmm2 (legacy SSE: counted as keeping the upper half); addsd; ret
  EXPECT_TRUE(has_xmm(Code("90 66480f6ed0 f20f58c2 c3").live()[0], 2));
}

}  // namespace
}  // namespace surrogate::block
