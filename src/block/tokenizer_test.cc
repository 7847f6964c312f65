#include "block/tokenizer.h"
#include "block/vocabulary.h"

#include <gtest/gtest.h>

#include "block/decoder.h"
#include "util/hex.h"

namespace surrogate::block {
namespace {

std::string tokens_of(const std::string& hex) {
  Decoder decoder;
  std::size_t offset = 0;
  std::string error;
  BasicBlock b = decoder.decode_block(*util::parse_hex(hex, &offset, &error), "test", {}, nullptr);
  std::string out;
  for (const auto& inst : tokenize_block(b))
    for (const auto& t : inst) out += (out.empty() ? "" : " ") + t;
  return out;
}

TEST(Tokenizer, RegistersImmediatesAndImplicitFlags) {
  // add rax, rbx: two-address, the destination is read too.
  EXPECT_EQ(tokens_of("4801d8"), "ADD64rr <S> RAX RBX <D> RAX EFLAGS <E>");
  // add rax, 0x12345: immediate bucketed by width.
  EXPECT_EQ(tokens_of("480545230100"), "ADD64i32 <S> IMM:i32 RAX <D> RAX EFLAGS <E>");
  // shl rax, 3: a small immediate is kept exactly.
  EXPECT_EQ(tokens_of("48c1e003"), "SHL64ri <S> RAX IMM:3 <D> RAX EFLAGS <E>");
}

TEST(Tokenizer, MemoryOperands) {
  // mov eax, [rbx + rcx*4 + 0x10]: a load is a source.
  EXPECT_EQ(tokens_of("8b448b10"), "MOV32rm <S> <M> B:RBX I:RCX S:4 D:8 <D> EAX <E>");
  // mov [rip + 0x1000], eax: RIP-relative store is a destination.
  EXPECT_EQ(tokens_of("890500100000"), "MOV32mr <S> EAX <D> <M> B:RIP D:32 <E>");
  // add [rdi], eax: read-modify-write memory is both.
  EXPECT_EQ(tokens_of("0107"), "ADD32mr <S> <M> B:RDI EAX <D> <M> B:RDI EFLAGS <E>");
  // lea rax, [rdi + rsi]: an address computed, not accessed.
  EXPECT_EQ(tokens_of("488d0437"), "LEA64r <S> <M> B:RDI I:RSI S:1 <D> RAX <E>");
  // mov rax, fs:[0x28]: segment prefix; the displacement is bucketed by value.
  EXPECT_EQ(tokens_of("64488b042528000000"), "MOV64rm <S> <M> D:8 G:FS <D> RAX <E>");
}

TEST(Tokenizer, PrefixesAndAvx512Masks) {
  // lock xadd [rdi], eax: the prefix is part of the instruction (the
  // decoder folds LLVM's LOCK_PREFIX into it, as LLVM's assembler does).
  EXPECT_EQ(tokens_of("f00fc107"), "XADD32rm LOCK <S> EAX <M> B:RDI <D> EAX <M> B:RDI EFLAGS <E>");
  // rep stosq: the string operands and the direction flag are read.
  EXPECT_EQ(tokens_of("f348ab"), "STOSQ REP <S> RDI RAX RDI DF <D> RDI <E>");
  // vaddps zmm1 {k1}{z}, zmm2, zmm3: the mask register is a source, MXCSR implicit.
  EXPECT_EQ(tokens_of("62f16cc958cb"), "VADDPSZrrkz <S> K1 ZMM2 ZMM3 MXCSR <D> ZMM1 <E>");
}

}  // namespace
}  // namespace surrogate::block

namespace surrogate::block {
namespace {

TEST(Vocabulary, BuildsDeterministicallyAndMapsUnknownTokens) {
  std::vector<InstructionTokens> seen = {{"ADD64rr", "<S>", "RAX"}, {"ADD64rr", "<S>", "RBX"}};
  Vocabulary v = Vocabulary::build(seen, 1);
  EXPECT_EQ(v.tokens()[0], "<pad>");
  EXPECT_EQ(v.tokens()[1], "<unk>");
  EXPECT_EQ(v.tokens()[2], "<S>");  // count 2, before ADD64rr by name
  EXPECT_EQ(v.tokens()[3], "ADD64rr");
  EXPECT_EQ(v.id("XOR32rr"), Vocabulary::kUnk);
  EXPECT_EQ(v.encode({"ADD64rr", "RCX"}), (std::vector<std::int32_t>{3, Vocabulary::kUnk}));
  EXPECT_EQ(Vocabulary::build(seen, 2).size(), 4u);
  EXPECT_THROW(Vocabulary({"<unk>", "<pad>"}), std::invalid_argument);
  EXPECT_THROW(Vocabulary({"<pad>", "<unk>", "A", "A"}), std::invalid_argument);
}

}  // namespace
}  // namespace surrogate::block
