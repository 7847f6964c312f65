#include "semantics/equivalence.h"

#include <gtest/gtest.h>

#include "semantics/emulator.h"

namespace surrogate::semantics {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes kAddRaxRbx = {0x48, 0x01, 0xD8};                    // add rax, rbx
const Bytes kAddRaxRax = {0x48, 0x01, 0xC0};                    // add rax, rax
const Bytes kLeaRaxRaxRax = {0x48, 0x8D, 0x04, 0x00};           // lea rax, [rax + rax]
const Bytes kXorEax = {0x31, 0xC0};                             // xor eax, eax
const Bytes kMovEax0 = {0xB8, 0x00, 0x00, 0x00, 0x00};          // mov eax, 0
const Bytes kStoreLoad = {0x48, 0x89, 0x07, 0x48, 0x8B, 0x1F};  // mov [rdi], rax; mov rbx, [rdi]
const Bytes kStoreMove = {0x48, 0x89, 0x07, 0x48, 0x89, 0xC3};  // mov [rdi], rax; mov rbx, rax
const Bytes kStoreRsi = {0x48, 0x89, 0x06, 0x48, 0x89, 0xC3};   // mov [rsi], rax; mov rbx, rax
const Bytes kVaddps = {0xC5, 0xF4, 0x58, 0xC2};                 // vaddps ymm0, ymm1, ymm2

TEST(Emulator, ComputesRegistersFlagsAndMemory) {
  Emulator emulator;
  MachineState s;
  s.gpr[0] = 5;           // rax
  s.gpr[3] = 7;           // rbx
  s.gpr[7] = 0x10000000;  // rdi
  s.memory_seed = 42;
  Outcome o = emulator.run(kAddRaxRbx, s);
  ASSERT_TRUE(o.ok) << o.fault;
  EXPECT_EQ(o.state.gpr[0], 12u);
  EXPECT_EQ(o.state.flags & 0x40, 0u) << "ZF clear";
  s.gpr[0] = ~std::uint64_t{0};
  s.gpr[3] = 1;
  o = emulator.run(kAddRaxRbx, s);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.state.gpr[0], 0u);
  EXPECT_EQ(o.state.flags & 0x41, 0x41u) << "ZF and CF set";
  o = emulator.run(kStoreLoad, s);
  ASSERT_TRUE(o.ok) << o.fault;
  EXPECT_EQ(o.written.size(), 8u);
  EXPECT_EQ(o.state.gpr[3], ~std::uint64_t{0});
  // Memory not written reads the state's initial bytes: deterministic per seed.
  const Bytes load = {0x48, 0x8B, 0x07};  // mov rax, [rdi]
  Outcome first = emulator.run(load, s), again = emulator.run(load, s);
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.state.gpr[0], again.state.gpr[0]);
  std::uint64_t expected = 0;
  for (int i = 7; i >= 0; --i) expected = expected << 8 | initial_memory_byte(s, 0x10000000 + i);
  EXPECT_EQ(first.state.gpr[0], expected);
  // Memory of pointers: a chase through two loads stays in the region.
  s.pointer_memory = true;
  const Bytes chase = {0x48, 0x8B, 0x07, 0x48, 0x8B, 0x00};  // mov rax, [rdi]; mov rax, [rax]
  Outcome chased = emulator.run(chase, s);
  ASSERT_TRUE(chased.ok) << chased.fault;
  EXPECT_GE(chased.state.gpr[0], kPointerBase);
  EXPECT_LT(chased.state.gpr[0], kPointerBase + (1 << 23));
}

TEST(Equivalence, LeaEqualsAddOnTheRegisterButNotOnTheFlags) {
  const auto states = test_states(1000, 1);
  EquivalenceResult r = check_equivalence(kLeaRaxRaxRax, kAddRaxRax, LiveOut::parse("rax"), states);
  EXPECT_TRUE(r.equivalent) << r.difference;
  EXPECT_EQ(r.tested, 1000u);
  r = check_equivalence(kLeaRaxRaxRax, kAddRaxRax, LiveOut{}, states);
  EXPECT_FALSE(r.equivalent);
  EXPECT_EQ(r.difference.rfind("flags:", 0), 0u) << r.difference;
  ASSERT_TRUE(r.counterexample.has_value());
  // A different computation is caught on the register itself.
  r = check_equivalence(kAddRaxRax, kAddRaxRbx, LiveOut::parse("rax"), states);
  EXPECT_FALSE(r.equivalent);
  EXPECT_EQ(r.difference.rfind("rax:", 0), 0u) << r.difference;
}

TEST(Equivalence, ZeroIdiomsDifferOnlyInFlags) {
  const auto states = test_states(200, 2);
  EXPECT_TRUE(check_equivalence(kXorEax, kMovEax0, LiveOut::parse("eax"), states).equivalent);
  EXPECT_FALSE(check_equivalence(kXorEax, kMovEax0, LiveOut::parse("rax,flags"), states).equivalent);
}

TEST(Equivalence, MemoryIsCompared) {
  const auto states = test_states(500, 3);
  EquivalenceResult same = check_equivalence(kStoreLoad, kStoreMove, LiveOut{}, states);
  EXPECT_TRUE(same.equivalent) << same.difference;
  EquivalenceResult other = check_equivalence(kStoreMove, kStoreRsi, LiveOut{}, states);
  EXPECT_FALSE(other.equivalent);
  EXPECT_EQ(other.difference.rfind("memory at", 0), 0u) << other.difference;
  // Without memory live, what a store writes does not matter...
  const Bytes store_rax = {0x48, 0x89, 0x07}, store_rbx = {0x48, 0x89, 0x1F};  // mov [rdi], rax / rbx
  EXPECT_TRUE(check_equivalence(store_rax, store_rbx, LiveOut::parse("rax,rbx,flags"), states).equivalent);
  EXPECT_FALSE(check_equivalence(store_rax, store_rbx, LiveOut{}, states).equivalent);
  // ...but where it does: a rewrite may not fault where the original runs.
  EquivalenceResult faults = check_equivalence(kStoreMove, kStoreRsi, LiveOut::parse("rax,rbx"), states);
  EXPECT_FALSE(faults.equivalent);
  EXPECT_NE(faults.difference.find("faults"), std::string::npos) << faults.difference;
}

// Pointer chasing runs on most states (memory of pointers), so a rewrite
// that drops a load of the chain is caught, and `enough` stops the test
// once that many states ran.
TEST(Equivalence, PointerChasingBlocksAreTestedOnManyStates) {
  const Bytes chase = {0x48, 0x8B, 0x36, 0x48, 0x63, 0x56, 0x04};  // mov rsi, [rsi]; movsxd rdx, [rsi + 4]
  const Bytes wrong = {0x48, 0x8B, 0x36, 0x48, 0x63, 0x76, 0x04};  // mov rsi, [rsi]; movsxd rsi, [rsi + 4]
  const auto states = test_states(4000, 5);
  EquivalenceResult same = check_equivalence(chase, chase, LiveOut{}, states, 1000);
  EXPECT_TRUE(same.equivalent);
  EXPECT_EQ(same.tested, 1000u);
  EXPECT_FALSE(check_equivalence(chase, wrong, LiveOut{}, states).equivalent);
}

TEST(Equivalence, WhatTheEmulatorCannotRunIsNoVerdict) {
  EquivalenceResult r = check_equivalence(kVaddps, kVaddps, LiveOut{}, test_states(20, 4));
  EXPECT_FALSE(r.equivalent);
  EXPECT_EQ(r.tested, 0u);
  EXPECT_NE(r.difference.find("cannot run"), std::string::npos) << r.difference;
}

TEST(LiveOut, ParsesAndDescribes) {
  EXPECT_EQ(LiveOut::parse("all").describe(), "all");
  EXPECT_EQ(LiveOut::parse("").describe(), "all");
  EXPECT_EQ(LiveOut::parse("RAX,eax,r9d,flags,xmm3").describe(), "rax,r9,xmm3,flags");
  EXPECT_THROW(LiveOut::parse("rax,bogus"), std::invalid_argument);
  EXPECT_THROW(LiveOut::parse("xmm16"), std::invalid_argument);
  EXPECT_THROW(LiveOut::parse("rax,,rbx"), std::invalid_argument);
}

TEST(TestStates, DeterministicWithEdgeCasesFirst) {
  auto a = test_states(50, 9), b = test_states(50, 9), c = test_states(50, 10);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_EQ(a[0].gpr[0], 0u);
  EXPECT_EQ(a[2].gpr[5], ~std::uint64_t{0});
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].gpr, b[i].gpr);
  EXPECT_NE(a[20].gpr, c[20].gpr);
}

}  // namespace
}  // namespace surrogate::semantics
