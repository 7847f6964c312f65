#include "measure/timed_code.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "measure/estimate.h"
#include "measure/run_context.h"

namespace surrogate::measure {
namespace {

// Every unrolled copy's RIP-relative operand reaches the same address as
// the first copy's, and that address is 8-byte aligned.
TEST(TimedCode, EveryCopyReachesTheFirstCopysGlobals) {
  const uint8_t body[] = {0x48, 0x8B, 0x05, 0x34, 0x12, 0x10, 0x00,  // mov rax, [rip + 0x101234]
                          0x83, 0x40, 0x20, 0x01};                   // add dword [rax + 32], 1
  const RipDisplacement rip[] = {{3, 7}};
  const uint64_t code = 0x7f0000001000, ctx = code + 0x10000;
  const uint32_t unroll = 9;
  TimedCodeSpec spec{body, unroll, 0x100000, true};
  spec.rip_displacements = rip;
  const auto bytes = emit_timed_code(spec, code, ctx);
  // Find the copies by their unpatched tail (the add), 11 bytes apart.
  const uint8_t tail[] = {0x83, 0x40, 0x20, 0x01};
  std::vector<uint64_t> targets;
  for (auto at = bytes.begin(); (at = std::search(at, bytes.end(), std::begin(tail), std::end(tail))) != bytes.end();
       ++at) {
    const size_t copy = static_cast<size_t>(at - bytes.begin()) - 7;
    ASSERT_EQ(bytes[copy + 2], 0x05);
    int32_t disp;
    std::memcpy(&disp, &bytes[copy + 3], 4);
    targets.push_back(code + copy + 7 + static_cast<int64_t>(disp));
  }
  ASSERT_EQ(targets.size(), unroll);
  for (uint64_t t : targets) EXPECT_EQ(t, targets[0]);
  EXPECT_EQ(targets[0] % 8, 0u);
  EXPECT_LT(targets[0] - (code + 0x101234), 0x1000u) << "near the unpatched first copy's target";
}

// The first copy's targets of a block's RIP-relative operands (each copy
// reaches the same ones), found by the copies' unpatched tail.
std::vector<uint64_t> first_copy_targets(const std::vector<uint8_t>& body, std::span<const RipDisplacement> rip,
                                         uint64_t code, size_t tail) {
  TimedCodeSpec spec{body, 3, 0x100000, true};
  spec.rip_displacements = rip;
  const auto bytes = emit_timed_code(spec, code, code + 0x10000);
  const auto at = std::search(bytes.begin(), bytes.end(), body.end() - tail, body.end());
  EXPECT_NE(at, bytes.end());
  const size_t copy = static_cast<size_t>(at - bytes.begin()) + tail - body.size();
  std::vector<uint64_t> targets;
  for (const RipDisplacement& r : rip) {
    int32_t disp;
    std::memcpy(&disp, &bytes[copy + r.offset], 4);
    targets.push_back(code + copy + r.instruction_end + static_cast<int64_t>(disp));
  }
  return targets;
}

// A target that must be aligned (movdqa, vmovdqa64 zmm) is, wherever the
// code lies; the other targets keep their distances to it. Where the mod-8
// rule already aligns it, the layout is that rule's (measure v9's).
TEST(TimedCode, ATargetThatMustBeAlignedIs) {
  const std::vector<uint8_t> body = {0x66, 0x0F, 0x6F, 0x05, 0x34, 0x12, 0x00, 0x00,  // movdqa xmm0, [rip + 0x1234]
                                     0x48, 0x8B, 0x0D, 0x11, 0x11, 0x00, 0x00,        // mov rcx, [rip + 0x1111]
                                     0x83, 0x40, 0x20, 0x01};                         // add dword [rax + 32], 1
  for (uint32_t alignment : {16u, 64u})
    for (uint64_t code = 0x7f0000001000; code < 0x7f0000001000 + 64; code += 4) {
      const RipDisplacement rip[] = {{4, 8, alignment}, {11, 15, 1}};
      const auto targets = first_copy_targets(body, rip, code, 4);
      ASSERT_EQ(targets.size(), 2u);
      EXPECT_EQ(targets[0] % alignment, 0u) << std::hex << code;
      EXPECT_EQ(static_cast<int64_t>(targets[1] - targets[0]), 15 + 0x1111 - (8 + 0x1234)) << std::hex << code;
      const RipDisplacement loose[] = {{4, 8, 1}, {11, 15, 1}};
      const auto old = first_copy_targets(body, loose, code, 4);
      if (old[0] % alignment == 0) {
        EXPECT_EQ(targets, old) << std::hex << code;
      }
    }
}

// The block must appear exactly `unroll` times, back to back, in the 64-byte
// aligned loop, and the function must end with its end marker (int3), not a
// `ret` that would need a harness address the block could reach.
TEST(TimedCode, UnrollsTheBodyInAnAlignedLoop) {
  const uint8_t body[] = {0x48, 0x01, 0xCB, 0x0F, 0xAF};  // arbitrary bytes
  const uint64_t code = 0x7f0000001000, ctx = code + 0x10000;
  for (uint32_t unroll : {1u, 7u, 100u}) {
    auto bytes = emit_timed_code({body, unroll, 0x100000, true}, code, ctx);
    EXPECT_LE(bytes.size(), unroll * sizeof body + kTimedCodeOverhead);
    ASSERT_GE(bytes.size(), sizeof kTimedCodeEnd);
    EXPECT_TRUE(std::equal(std::begin(kTimedCodeEnd), std::end(kTimedCodeEnd), bytes.end() - sizeof kTimedCodeEnd));
    std::vector<uint8_t> run;
    for (uint32_t i = 0; i < unroll; ++i) run.insert(run.end(), body, body + sizeof body);
    auto at = std::search(bytes.begin(), bytes.end(), run.begin(), run.end());
    ASSERT_NE(at, bytes.end());
    // The loop header precedes the body: lfence (3), mov rsp (7), vzeroupper (3),
    // 8 + 8 movdqa (8 + 9 bytes each), 15 movabs (10 bytes each).
    const size_t movabs = 3 + 7 + 3 + 8 * 8 + 8 * 9;
    size_t loop_top = static_cast<size_t>(at - bytes.begin()) - (movabs + 15 * 10);
    EXPECT_EQ((code + loop_top) % 64, 0u);
    EXPECT_EQ(bytes[loop_top], 0x0F);  // lfence
    // The 0x100000 init value appears in the 15 movabs.
    EXPECT_EQ(bytes[loop_top + movabs], 0x48);
    EXPECT_EQ(bytes[loop_top + movabs + 1], 0xB8);  // movabs rax
    uint64_t imm;
    std::memcpy(&imm, &bytes[loop_top + movabs + 2], 8);
    EXPECT_EQ(imm, 0x100000u);
  }
}

// RIP-relative operands resolve to the RunContext fields: the first
// instruction is `ldmxcsr [block_mxcsr]`, then fninit. Nothing needs rdtscp
// or FSGSBASE, which some hypervisors hide (a KVM Zen 5 guest): FS is set by
// FaultGuard::run, and the end time is read behind an lfence.
TEST(TimedCode, RipRelativeOperandsReachTheContext) {
  const uint8_t body[] = {0x90};
  const uint64_t code = 0x7f0000001000, ctx = code + 0x20000;
  auto bytes = emit_timed_code({body, 3, 0x4000, false}, code, ctx);
  ASSERT_EQ(bytes[0], 0x0F);
  ASSERT_EQ(bytes[1], 0xAE);
  ASSERT_EQ(bytes[2], 0x15);
  int32_t disp;
  std::memcpy(&disp, &bytes[3], 4);
  EXPECT_EQ(code + 7 + disp, ctx + offsetof(RunContext, block_mxcsr));
  EXPECT_EQ(bytes[7], 0xDB);  // fninit
  EXPECT_EQ(bytes[8], 0xE3);
  auto contains = [&](std::initializer_list<uint8_t> pattern) {
    return std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end()) != bytes.end();
  };
  EXPECT_FALSE(contains({0x0F, 0x01, 0xF9})) << "rdtscp";
  EXPECT_FALSE(contains({0xF3, 0x48, 0x0F, 0xAE, 0xD0})) << "wrfsbase rax";
  EXPECT_TRUE(contains({0x0F, 0xAE, 0xE8, 0x0F, 0x31, 0x0F, 0xAE, 0xE8})) << "lfence; rdtsc; lfence";
}

// The harness's own code returns: it saves rsp right after the six pushes,
// ends with `ret`, and leaves FS alone (no wrfsbase: C++ runs after it).
TEST(TimedCode, ReturningCodeSavesRspAndEndsWithRet) {
  const uint8_t body[] = {0x90};
  const uint64_t code = 0x7f0000001000, ctx = code + 0x20000;
  auto bytes = emit_timed_code({body, 3, 0x4000, false, false, /*returns=*/true}, code, ctx);
  ASSERT_EQ(bytes[10], 0x48);
  ASSERT_EQ(bytes[11], 0x89);
  ASSERT_EQ(bytes[12], 0x25);
  int32_t disp;
  std::memcpy(&disp, &bytes[13], 4);
  EXPECT_EQ(code + 17 + disp, ctx + offsetof(RunContext, saved_rsp));
  EXPECT_EQ(bytes.back(), 0xC3);
  const uint8_t wrfsbase[] = {0xF3, 0x48, 0x0F, 0xAE, 0xD0};
  EXPECT_EQ(std::search(bytes.begin(), bytes.end(), std::begin(wrfsbase), std::end(wrfsbase)), bytes.end());
}

// On AVX-512 hosts every iteration also zeroes zmm16-31 (with 128-bit
// EVEX xors) and k0-k7 (bytes as llvm-mc-19 -show-encoding gives them).
TEST(TimedCode, ZeroesUpperZmmAndMaskRegistersOnAvx512) {
  const uint8_t body[] = {0x90};
  const uint64_t code = 0x7f0000001000, ctx = code + 0x20000;
  auto plain = emit_timed_code({body, 1, 0x4000, true, false}, code, ctx);
  auto wide = emit_timed_code({body, 1, 0x4000, true, true}, code, ctx);
  const std::vector<std::vector<uint8_t>> expected = {
      {0xC5, 0xF8, 0x77},                    // vzeroupper
      {0x62, 0xA1, 0x7D, 0x00, 0xEF, 0xC0},  // vpxord xmm16, xmm16, xmm16 (zeroes zmm16)
      {0x62, 0xA1, 0x45, 0x00, 0xEF, 0xFF},  // vpxord xmm23, xmm23, xmm23
      {0x62, 0x01, 0x3D, 0x00, 0xEF, 0xC0},  // vpxord xmm24, xmm24, xmm24
      {0x62, 0x01, 0x05, 0x00, 0xEF, 0xFF},  // vpxord xmm31, xmm31, xmm31
      {0xC5, 0xFC, 0x47, 0xC0},              // kxorw k0, k0, k0
      {0xC5, 0xC4, 0x47, 0xFF},              // kxorw k7, k7, k7
  };
  for (const auto& insn : expected) {
    EXPECT_NE(std::search(wide.begin(), wide.end(), insn.begin(), insn.end()), wide.end());
    if (insn[0] == 0x62) {
      EXPECT_EQ(std::search(plain.begin(), plain.end(), insn.begin(), insn.end()), plain.end());
    }
  }
  EXPECT_EQ(wide.size(), plain.size() + 16 * 6 + 8 * 4);
}

TEST(Estimate, MedianAndDifference) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(median({})));
  // L_a = M (a T + c), L_b = M (b T + c): the overhead c cancels.
  double T = 3.5, c = 40, M = 10;
  EXPECT_DOUBLE_EQ(unrolled_difference(M * (50 * T + c), M * (100 * T + c), 50, 100, M), T);
  // and the intercept is that overhead (a Zen 5 canary-like loop: 31 cycles, 0.256 per copy).
  EXPECT_NEAR(unrolled_intercept(178 * (410 * 0.256 + 31), 178 * (820 * 0.256 + 31), 410, 820, 178), 31, 1e-9);
  EXPECT_DOUBLE_EQ(unrolled_intercept(M * (50 * T + c), M * (100 * T + c), 50, 100, M), c);
}

// A lone fast reading (the core clock changed during one run) is not the
// estimate; two agreeing low readings are; two readings that do not agree
// confirm nothing, whatever their number.
TEST(Estimate, ConfirmedMinimumNeedsTwoAgreeingRuns) {
  EXPECT_DOUBLE_EQ(confirmed_minimum({200, 171, 201, 250, 200.5}, 0.02), 200.5);
  EXPECT_DOUBLE_EQ(confirmed_minimum({171, 171.5, 201}, 0.02), 171.5);
  EXPECT_TRUE(std::isnan(confirmed_minimum({201, 171}, 0.02)));
  EXPECT_TRUE(std::isnan(confirmed_minimum({171}, 0.02)));
  EXPECT_TRUE(std::isnan(confirmed_minimum({}, 0.02)));
  // The CI failure: L_a of a 2-cycle chain (unrolled 342/684, M = 28) with
  // two runs slowed; the second smallest, 21,770, made it read 1.81 cycles.
  EXPECT_TRUE(std::isnan(confirmed_minimum({21770.4, 106540.3, 19888.7}, 0.02)));
  EXPECT_DOUBLE_EQ(confirmed_minimum({21770.4, 106540.3, 19888.7, 19913.2}, 0.02), 19913.2);
}

// The confirmed floor is the mean of the runs within 2% above the lower of
// the lowest agreeing pair: the same runs confirmed_minimum confirms from,
// never a lone low run or a slowed one.
TEST(Estimate, TheConfirmedFloorAveragesTheRunsAtTheMinimum) {
  EXPECT_DOUBLE_EQ(confirmed_floor({200, 171, 201, 250, 200.5}, 0.02), (200 + 200.5 + 201) / 3);
  EXPECT_DOUBLE_EQ(confirmed_floor({171, 171.5, 201}, 0.02), (171 + 171.5) / 2);
  EXPECT_DOUBLE_EQ(confirmed_floor({21770.4, 106540.3, 19888.7, 19913.2}, 0.02), (19888.7 + 19913.2) / 2);
  // Within 2% of the pair's lower run, not of its larger one: 204.1 is out.
  EXPECT_DOUBLE_EQ(confirmed_floor({200, 202, 204.1}, 0.02), 201);
  EXPECT_TRUE(std::isnan(confirmed_floor({201, 171}, 0.02)));
  EXPECT_TRUE(std::isnan(confirmed_floor({171}, 0.02)));
  EXPECT_TRUE(std::isnan(confirmed_floor({}, 0.02)));
  // Never below the lowest agreeing run, never above the pair's larger by more than the tolerance.
  const std::vector<double> runs = {19888.7, 19913.2, 20100, 20200, 26000};
  EXPECT_GE(confirmed_floor(runs, 0.02), 19888.7);
  EXPECT_LE(confirmed_floor(runs, 0.02), confirmed_minimum(runs, 0.02) * 1.02);
}

// A block's passes name two modes only when two of them agree on the slower
// figure: one slow pass leaves the question open (more passes settle it),
// and passes within the gap of the fastest are one mode. Figures from an
// Intel guest: a decrement through memory read {210, 210, 313, 317} in four
// runs.
// The minima of L_a and L_b from different repetitions can disagree with
// every repetition's own difference (a 6-cycle block, b - a = 256 copies,
// M = 10: two repetitions read 6.00, two whose calibration erred read
// L_a low and L_b high, 6.39): the minima's 6.18 is refused until more
// repetitions agree; alone, the first two agree.
TEST(Estimate, TheMinimaMustAgreeWithTheRepetitionsOwnDifferences) {
  const double copies = 256, iterations = 10;
  auto check = [&](std::vector<std::pair<double, double>> runs) {
    std::vector<double> a, b, own;
    for (auto [la, lb] : runs) {
      a.push_back(la);
      b.push_back(lb);
      own.push_back(unrolled_difference(la, lb, 0, copies, iterations));
    }
    const double by_minima =
        unrolled_difference(confirmed_minimum(a, 0.02), confirmed_minimum(b, 0.02), 0, copies, iterations);
    return estimates_agree(by_minima, confirmed_minimum(own, 0.02), 0.02, 0.5);
  };
  const std::pair<double, double> r1{15800, 31160}, r2{15810, 31180}, r3{15340, 31690}, r4{15350, 31700};
  EXPECT_FALSE(check({r1, r2, r3, r4})) << "6.18 against 6.00";
  EXPECT_TRUE(check({r1, r2}));
  EXPECT_FALSE(check({r1})) << "nothing confirmed yet";
  // Near zero the bound is 2% of 0.5 cycles, not of the figure.
  EXPECT_TRUE(estimates_agree(0.009, 0.0, 0.02, 0.5));
  EXPECT_FALSE(estimates_agree(0.02, 0.0, 0.02, 0.5));
  EXPECT_TRUE(estimates_agree(9.1, 9.0, 0.02, 0.5));
  EXPECT_FALSE(estimates_agree(9.2, 9.0, 0.02, 0.5));
}

TEST(Estimate, ALoneLowRunNeedsThreeRunsAtTheConfirmedMinimum) {
  // Two runs slowed alike confirm 370 (the 3.7x case); the clean run stands
  // alone below them, so the minimum does not stand yet.
  EXPECT_FALSE(minimum_stands({370, 371, 100}, 0.02, 0.05, 3));
  EXPECT_TRUE(minimum_stands({370, 371, 100, 101}, 0.02, 0.05, 3)) << "a second run confirms the low";
  // A fluke 7% low: outvoted once three runs agree with the minimum.
  EXPECT_FALSE(minimum_stands({200, 201, 186}, 0.02, 0.05, 3));
  EXPECT_TRUE(minimum_stands({200, 201, 186, 200.5}, 0.02, 0.05, 3));
  EXPECT_FALSE(minimum_stands({200, 201, 186, 230}, 0.02, 0.05, 3)) << "a slower run is no support";
  // Within the gap nothing more is asked; without a confirmed minimum nothing stands.
  EXPECT_TRUE(minimum_stands({200, 201, 195}, 0.02, 0.05, 3));
  EXPECT_FALSE(minimum_stands({200}, 0.02, 0.05, 3));
  EXPECT_FALSE(minimum_stands({}, 0.02, 0.05, 3));
  // Flagged repetitions' runs witness lows: two agreeing on the truth refute
  // clean runs that one constant cost slowed alike (the Zen 5 case, L_a in
  // cycles); one alone asks for a third clean run; none changes nothing.
  EXPECT_FALSE(minimum_stands({31432, 31486}, 0.02, 0.05, 3, {20747, 20709, 48060}));
  EXPECT_FALSE(minimum_stands({31432, 31486, 31500}, 0.02, 0.05, 3, {20747, 20709}));
  EXPECT_FALSE(minimum_stands({31962, 31175, 32093}, 0.02, 0.05, 3, {90552, 20523}));
  EXPECT_TRUE(minimum_stands({31432, 31486, 31500}, 0.02, 0.05, 3, {20747, 60000}));
  EXPECT_TRUE(minimum_stands({20747, 20709}, 0.02, 0.05, 3, {31432, 48060}));
}

// The Zen 5 case under frequent ~11,700-tick events: one clean L_b run
// (cycles) missed them, three were slowed alike. A low that far below is
// not a fluke: it refutes the minimum however many runs support it; a low
// within the refuting gap still only asks for support.
TEST(Estimate, AFarLowCleanRunRefutesTheMinimum) {
  EXPECT_TRUE(minimum_stands({68885, 88974, 88350, 88168}, 0.02, 0.05, 3)) << "without the gap (v14)";
  EXPECT_FALSE(minimum_stands({68885, 88974, 88350, 88168}, 0.02, 0.05, 3, {}, 0.10));
  EXPECT_TRUE(minimum_stands({200, 201, 186, 200.5}, 0.02, 0.05, 3, {}, 0.10)) << "7% below: support settles it";
  EXPECT_FALSE(minimum_stands({200, 201, 178, 200.5}, 0.02, 0.05, 3, {}, 0.10));
  EXPECT_TRUE(minimum_stands({68885, 69000, 88974, 88350}, 0.02, 0.05, 3, {}, 0.10)) << "the low confirmed";
}

// Clean repetitions of a Zen 5 trace (L in cycles per run): a 4-cycle add
// chain (unroll 171/342) clean, and with its b run carrying an ~11,000-cycle
// event no check saw; a two-instruction block (256/512) whose loop cost makes
// L_b well under b / a x L_a; `add rsp, 0x848` and six pops (121/242), whose
// b copies walk twice as far up the stack, over the bound in every repetition.
TEST(Estimate, ABRunBeyondTheUnrollingRatioCarriedACostTheARunDidNot) {
  EXPECT_TRUE(within_unrolling_ratio(19192.06, 37669.52, 171, 342, 0.10));
  EXPECT_FALSE(within_unrolling_ratio(19192.67, 49028.85, 171, 342, 0.10));
  EXPECT_TRUE(within_unrolling_ratio(20690.51, 38057.51, 256, 512, 0.10));
  EXPECT_FALSE(within_unrolling_ratio(12159, 30381, 121, 242, 0.10));
  EXPECT_TRUE(within_unrolling_ratio(12159, 30381, 121, 242, 0.30)) << "a looser bound lets it through";
  EXPECT_TRUE(within_unrolling_ratio(100, 220, 50, 100, 0.10)) << "exactly at the bound";
  EXPECT_FALSE(within_unrolling_ratio(100, 220.1, 50, 100, 0.10));
}

TEST(Estimate, ASecondModeNeedsTwoPassesAgreeingAboveTheGap) {
  EXPECT_DOUBLE_EQ(pass_figure({313, 210, 317, 211}, 0.05, 0.02), 210.5);  // the mean of the two within 2%
  EXPECT_DOUBLE_EQ(second_mode({313, 210, 317, 211}, 0.05, 0.02), 317);
  EXPECT_FALSE(modes_unsettled({313, 210, 317, 211}, 0.05, 0.02));
  EXPECT_TRUE(std::isnan(second_mode({210, 313}, 0.05, 0.02)));
  EXPECT_TRUE(modes_unsettled({210, 313}, 0.05, 0.02));
  // A third pass back at the fast figure: the slow one stays unconfirmed.
  EXPECT_DOUBLE_EQ(pass_figure({210, 313, 211}, 0.05, 0.02), 210.5);
  EXPECT_TRUE(std::isnan(second_mode({210, 313, 211}, 0.05, 0.02)));
  EXPECT_TRUE(modes_unsettled({210, 313, 211}, 0.05, 0.02));
  // Slow passes that disagree with each other confirm nothing.
  EXPECT_TRUE(std::isnan(second_mode({210, 313, 350, 211}, 0.05, 0.02)));
  EXPECT_TRUE(modes_unsettled({210, 313, 350, 211}, 0.05, 0.02));
  // Within the gap: one mode, settled, whatever the spread below it; the
  // figure is the mean of all the passes (measure v23).
  EXPECT_DOUBLE_EQ(pass_figure({219, 210, 218}, 0.05, 0.02), (219.0 + 210 + 218) / 3);
  EXPECT_DOUBLE_EQ(pass_figure({210}, 0.05, 0.02), 210);
  EXPECT_TRUE(std::isnan(second_mode({210, 218, 219}, 0.05, 0.02)));
  EXPECT_FALSE(modes_unsettled({210, 218}, 0.05, 0.02));
  EXPECT_FALSE(modes_unsettled({210}, 0.05, 0.02));
  EXPECT_FALSE(modes_unsettled({}, 0.05, 0.02));
  EXPECT_TRUE(std::isnan(second_mode({}, 0.05, 0.02)));
  EXPECT_TRUE(std::isnan(pass_figure({}, 0.05, 0.02)));
}

// The Zen 5 cases: passes with every L_a run slowed alike read an 8-cycle
// chain at 3.60 among two at 8.0; passes with every L_b run slowed read an
// 11-cycle chain at 17.1 twice, 11.0 once. A lone fast pass is not the
// figure, nor are two slow ones below it: no figure until a second pass
// confirms the fastest.
TEST(Estimate, OnlyAConfirmedFastestPassIsTheFigure) {
  EXPECT_TRUE(std::isnan(pass_figure({802.90, 360.06}, 0.05, 0.02)));
  EXPECT_TRUE(modes_unsettled({802.90, 360.06}, 0.05, 0.02));
  EXPECT_TRUE(std::isnan(pass_figure({802.90, 360.06, 798.50}, 0.05, 0.02)));
  EXPECT_TRUE(modes_unsettled({802.90, 360.06, 798.50}, 0.05, 0.02));
  EXPECT_TRUE(std::isnan(second_mode({802.90, 360.06, 798.50}, 0.05, 0.02)));
  EXPECT_TRUE(std::isnan(pass_figure({1101.84, 1714.05, 1716.04}, 0.05, 0.02)));
  // Two passes agreeing on the fast figure make it the figure, the slow pair its second mode.
  EXPECT_DOUBLE_EQ(pass_figure({802.90, 360.06, 798.50, 361.00}, 0.05, 0.02), (360.06 + 361.00) / 2);
  EXPECT_DOUBLE_EQ(second_mode({802.90, 360.06, 798.50, 361.00}, 0.05, 0.02), 802.90);
  EXPECT_FALSE(modes_unsettled({802.90, 360.06, 798.50, 361.00}, 0.05, 0.02));
  EXPECT_TRUE(std::isnan(pass_figure({360, 500, 800, 1000}, 0.05, 0.02)));
}

}  // namespace
}  // namespace surrogate::measure
