// Known-answer tests of the host harness, portable to any x86-64 CPU: they
// check ratios against architectural facts (a dependent 64-bit add is 1 cycle,
// a 64-bit imul is 3 cycles on every x86-64 core of the last 15 years) and
// never wall-clock times.
#include "measure/harness.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "measure/host_info.h"
#include "measure/measure_job.h"
#include "measure/other_load_test_support.h"
#include "measure/retry_on_noise_test_support.h"

namespace surrogate::measure {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes repeat(const Bytes& insn, int n) {
  Bytes out;
  for (int i = 0; i < n; ++i) out.insert(out.end(), insn.begin(), insn.end());
  return out;
}

const Bytes kAddChain = repeat({0x48, 0x01, 0xCB}, 8);         // 8 x add rbx, rcx: dependent through rbx
const Bytes kAddSelf = repeat({0x48, 0x01, 0xC0}, 8);          // 8 x add rax, rax
const Bytes kAddIndependent = {0x48, 0x83, 0xC0, 0x01,         // add rax, 1
                               0x48, 0x83, 0xC3, 0x01,         // add rbx, 1
                               0x48, 0x83, 0xC1, 0x01,         // add rcx, 1
                               0x48, 0x83, 0xC2, 0x01,         // add rdx, 1
                               0x48, 0x83, 0xC6, 0x01,         // add rsi, 1
                               0x48, 0x83, 0xC7, 0x01,         // add rdi, 1
                               0x49, 0x83, 0xC0, 0x01,         // add r8, 1
                               0x49, 0x83, 0xC1, 0x01};        // add r9, 1
const Bytes kImulChain = repeat({0x48, 0x0F, 0xAF, 0xC0}, 8);  // 8 x imul rax, rax
const Bytes kZeroIdiom = repeat({0x31, 0xC0}, 8);              // 8 x xor eax, eax
const Bytes kDivByZero = {0x31, 0xC9, 0x48, 0xF7, 0xF1};       // xor ecx, ecx; div rcx
const Bytes kUd2 = {0x0F, 0x0B};
const Bytes kInt3 = {0x48, 0x01, 0xCB, 0xCC, 0x48, 0x01, 0xCB};     // add rbx, rcx; int3; add rbx, rcx
const Bytes kSyscall = {0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05};  // mov eax, 39 (getpid); syscall
const Bytes kHang = {0xEB, 0xFE};                                   // jmp $
const Bytes kLoad = {0x48, 0x8B, 0x03};                             // mov rax, [rbx]: faults a page in
const Bytes kInt80 = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xCD, 0x80};    // mov eax, 1 (i386 exit); int 0x80
// An attacker's way into the harness without knowing its layout: FS is the
// thread's control block, holding the pointer guard that mangles sigsetjmp's
// saved registers (0x30), the stack guard (0x28) and itself (0x0).
const Bytes kTlsAttack = {0x64, 0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00,  // mov rax, fs:[0]
                          0x48, 0x89, 0x48, 0x30,                                // mov [rax+0x30], rcx
                          0x48, 0x89, 0x48, 0x28,                                // mov [rax+0x28], rcx
                          0x48, 0x89, 0x08};                                     // mov [rax], rcx
const Bytes kPatchOwnCode = {0x48, 0x8D, 0x05, 0x00, 0x00, 0x00, 0x00,           // lea rax, [rip]
                             0x48, 0x89, 0x08};                                  // mov [rax], rcx
const Bytes kSetSegmentBases = {0xF3, 0x48, 0x0F, 0xAE, 0xD9,                    // wrgsbase rcx
                                0xF3, 0x48, 0x0F, 0xAE, 0xD1};                   // wrfsbase rcx
// With GS base 0, gs:[-8] is a kernel address (unmappable); with the base
// another block left (its rcx, the init value) it is a user page.
const Bytes kReadGsMinus8 = {0x65, 0x48, 0x8B, 0x04, 0x25, 0xF8, 0xFF, 0xFF, 0xFF};  // mov rax, gs:[-8]

Options test_options() {
  Options o;
  o.jobs = 1;
  o.block_timeout_seconds = 2;
  return o;
}

double per_instruction(const Measurement& m, int instructions) {
  EXPECT_TRUE(m.measured()) << m.reason;
  return m.throughput.value_or(0) / 100.0 / instructions;
}

class HarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = unsupported_host_reason()) GTEST_SKIP() << *why;
  }
};

TEST_F(HarnessTest, KnownAnswers) {
  with_retries([&] {
    Harness harness(test_options());
    auto r = harness.measure({kAddChain, kAddSelf, kAddIndependent, kImulChain, kZeroIdiom});
    ASSERT_EQ(r.size(), 5u);
    double add = per_instruction(r[0], 8);
    EXPECT_NEAR(add, 1.0, 0.05) << "dependent add rbx, rcx";
    EXPECT_NEAR(per_instruction(r[1], 8), 1.0, 0.05) << "dependent add rax, rax";
    EXPECT_LT(per_instruction(r[2], 8), 0.6 * add) << "independent adds overlap";
    double imul = per_instruction(r[3], 8);
    EXPECT_NEAR(imul / add, 3.0, 0.3) << "imul r64 latency is 3 cycles";
    // Absolute, not only relative to the add chain: a clock reference the
    // core runs fast (Intel folds add reg,imm8 at rename) scales both alike.
    EXPECT_NEAR(imul, 3.0, 0.15) << "imul r64 latency is 3 cycles";
    EXPECT_LT(per_instruction(r[4], 8), 0.4) << "xor-zeroing breaks dependencies";
    for (const auto& m : r) {
      EXPECT_GT(m.tsc_per_cycle, 0);
      EXPECT_LT(m.unroll_a, m.unroll_b);
      EXPECT_GE(m.iterations, 1u);
      // Each clean repetition's canaries passed the check against its
      // worker's baseline then: so does their median against the run's final
      // baseline, within the margin MeasureJob allows for a later, quieter
      // start (kRejudgeMargin: starts spread by ~5%).
      EXPECT_GT(m.canaries.zero_idioms, 0);
      EXPECT_GT(m.canaries.loads, 0);
      EXPECT_FALSE(over_baseline(m.canaries, harness.run_canary(), harness.options().canary_tolerance * kRejudgeMargin))
          << m.canaries.zero_idioms << "/" << m.canaries.loads << " against " << harness.run_canary().zero_idioms << "/"
          << harness.run_canary().loads;
    }
  });
}

// A block's passes come from two worker processes, with one thread (its two
// workers) and with a thread per CPU alike: a worker slow all through, every
// check quiet, cannot confirm its own reading (BENCHMARKS.md 46).
TEST_F(HarnessTest, ABlocksPassesComeFromTwoWorkerProcesses) {
  std::vector<Bytes> blocks;
  for (int i = 0; i < 120; ++i) blocks.push_back(i % 2 ? kAddChain : kAddIndependent);  // three batches of 50
  for (unsigned jobs : {1u, 0u}) {
    Options o = test_options();
    o.jobs = jobs;
    Harness harness(o);
    const auto r = harness.measure(blocks);
    ASSERT_EQ(r.size(), blocks.size());
    for (size_t i = 0; i < r.size(); ++i)
      EXPECT_GE(r[i].workers, 2u) << "jobs " << jobs << ", block " << i << ": " << r[i].reason;
  }
}

// The memory layout decides whether two base registers alias. A store
// through rdi then a load through rsi into the stored register: with every
// register at one address (shared, BHive's) each load waits for the store
// before it (store-to-load forwarding: 7 cycles measured on Zen 5, 4-5 on Intel cores);
// with distinct addresses nothing links the copies (about 1 cycle).
TEST_F(HarnessTest, MemoryLayoutDecidesWhetherBaseRegistersAlias) {
  const Bytes kStoreThenLoad = {0x48, 0x89, 0x07,   // mov [rdi], rax
                                0x48, 0x8B, 0x06};  // mov rax, [rsi]
  with_retries([&] {
    Options shared = test_options();
    shared.memory_layout = Options::MemoryLayout::kShared;
    Options distinct = test_options();
    distinct.memory_layout = Options::MemoryLayout::kDistinct;
    auto in_shared = Harness(shared).measure({kStoreThenLoad, kAddChain});
    auto in_distinct = Harness(distinct).measure({kStoreThenLoad, kAddChain});
    ASSERT_EQ(in_shared.size(), 2u);
    ASSERT_EQ(in_distinct.size(), 2u);
    const double aliased = per_instruction(in_shared[0], 1), apart = per_instruction(in_distinct[0], 1);
    EXPECT_GT(aliased, 3.0) << "shared: the load reads what the store wrote";
    EXPECT_LT(apart, 2.0) << "distinct: rdi and rsi point apart";
    EXPECT_GT(aliased, 2.5 * apart);
    // The layout moves data, not the clock: register-only code reads the same.
    EXPECT_NEAR(per_instruction(in_distinct[1], 8), 1.0, 0.05) << "dependent add rbx, rcx";
  });
}

// Each unrolled copy reaches the global the first copy does, as each
// iteration of a real loop does: incrementing one global is a chain through
// memory (store-to-load forwarding, several cycles), while copies that each
// reached a global of their own (the harness before RIP-relative fields were
// patched) overlap. A pointer read from a global is the aligned init value.
TEST_F(HarnessTest, RipRelativeOperandsReachOneGlobalInEveryCopy) {
  const Bytes kIncrementGlobal = {0x83, 0x05, 0x00, 0x00, 0x10, 0x00, 0x01};     // add dword [rip + 0x100000], 1
  const Bytes kCountThroughPointer = {0x48, 0x8B, 0x05, 0x00, 0x00, 0x10, 0x00,  // mov rax, [rip + 0x100000]
                                      0x83, 0x40, 0x20, 0x01};                   // add dword [rax + 32], 1
  with_retries([&] {
    Harness harness(test_options());
    auto r = harness.measure({kIncrementGlobal, kIncrementGlobal, kCountThroughPointer}, {}, nullptr,
                             {{{2, 7}}, {}, {{3, 7}}});
    ASSERT_EQ(r.size(), 3u);
    const double one_global = per_instruction(r[0], 1), own_globals = per_instruction(r[1], 1);
    EXPECT_GT(one_global, 3.0) << "one global: each increment waits for the one before";
    EXPECT_LT(own_globals, 2.0) << "a global per copy: nothing links the copies";
    EXPECT_GT(per_instruction(r[2], 2), 1.5) << "the counter behind the pointer is one address too";
  });
}

// Other load on every measuring CPU (spinners, wakers, cache thrashers)
// must never pass as data: each block reads its known answer or is given up
// as disturbed. Not retried: one wrong value fails. Before the calibration
// bracketed each block and converted each repetition with its own clock
// ratio, 42-52 of 204 such blocks read 7-15% low under this load on a KVM
// Sapphire Rapids host.
TEST_F(HarnessTest, OtherLoadOnTheMeasuringCpusNeverPassesAsData) {
  struct Known {
    Bytes block;
    double cycles;  // per iteration
  };
  std::vector<Known> known;
  // Dependent chains through rbx, rsi, r9, r12: add REG, rcx (1 cycle each)
  // and imul REG, REG (3 cycles each), of several lengths.
  const struct {
    uint8_t rex_b, code;
  } regs[] = {{0, 3}, {0, 6}, {1, 1}, {1, 4}};
  for (const auto& r : regs) {
    for (int n = 2; n <= 8; n += 2)
      known.push_back({repeat({uint8_t(0x48 | r.rex_b), 0x01, uint8_t(0xC8 | r.code)}, n), 1.0 * n});
    for (int n = 2; n <= 3; ++n)
      known.push_back(
          {repeat({uint8_t(0x48 | r.rex_b | r.rex_b << 2), 0x0F, 0xAF, uint8_t(0xC0 | r.code << 3 | r.code)}, n),
           3.0 * n});
  }
  std::vector<Bytes> batch;
  for (const Known& k : known) batch.push_back(k.block);
  Options o = test_options();
  o.jobs = 0;  // a worker per CPU, as `measure` runs
  // Every value of every attempt is checked; only too few measured values
  // (the host's own noise on top of this load gives most blocks up as
  // disturbed: 8 of 24 once on a Zen 5 guest under ctest -j2; 0 of 24 in
  // four attempts within 9 s once on an Intel model 207 guest while other
  // tenants loaded it) earns another attempt, after waits of 1, 2, 4 ... 32 s,
  // as `measure` waits for other load to pass.
  size_t measured = 0;
  for (int attempt = 0, wait = 1; attempt < 7 && measured < known.size() / 2; ++attempt, wait *= 2) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(wait / 2));
    std::vector<Measurement> r;
    {
      OtherLoad load;
      ASSERT_GT(load.processes(), 0u);
      r = Harness(o).measure(batch);
    }
    ASSERT_EQ(r.size(), known.size());
    measured = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      if (!r[i].measured()) {
        EXPECT_NE(r[i].reason.find("disturbed"), std::string::npos) << i << ": " << r[i].reason;
        continue;
      }
      ++measured;
      // 5%: the bug this guards against read 7-15% low; the worst clean value
      // seen is 4.07% high (a 6-cycle chain on a CI host, with ctest -j2
      // running another test beside this load).
      EXPECT_NEAR(*r[i].throughput / 100 / known[i].cycles, 1.0, 0.05)
          << "block " << i << " (" << known[i].cycles << " cycles) read " << *r[i].throughput / 100;
    }
  }
  // Not vacuous: most blocks are measured despite the load.
  EXPECT_GE(measured, known.size() / 2);
}

TEST_F(HarnessTest, FaultsAreUnmeasurableAndDoNotHarmTheBatch) {
  with_retries([&] {
    Harness harness(test_options());
    // int3 inside a block is the block's breakpoint, not the end of its run
    // (the timed code ends with int3 too).
    std::vector<Bytes> batch = {kAddChain, kDivByZero, kUd2, kAddChain, kSyscall, kHang, kLoad, kAddChain, kInt3};
    std::vector<size_t> order;
    auto r = harness.measure(batch, [&](size_t i, const Measurement&) { order.push_back(i); });
    ASSERT_EQ(r.size(), batch.size());
    EXPECT_EQ(order.size(), batch.size());
    for (size_t i : {0u, 3u, 7u}) EXPECT_NEAR(per_instruction(r[i], 8), 1.0, 0.05) << "block " << i;
    EXPECT_FALSE(r[1].measured());
    EXPECT_NE(r[1].reason.find("SIGFPE"), std::string::npos) << r[1].reason;
    EXPECT_FALSE(r[2].measured());
    EXPECT_NE(r[2].reason.find("SIGILL"), std::string::npos) << r[2].reason;
    EXPECT_FALSE(r[4].measured());
    EXPECT_NE(r[4].reason.find("SIGSYS"), std::string::npos) << r[4].reason;
    EXPECT_FALSE(r[5].measured());
    EXPECT_NE(r[5].reason.find("timeout"), std::string::npos) << r[5].reason;
    EXPECT_TRUE(r[6].measured()) << r[6].reason;
    EXPECT_GE(r[6].faulted_pages, 1u);
    EXPECT_FALSE(r[8].measured());
    EXPECT_EQ(r[8].reason, "SIGTRAP: breakpoint or debug trap");
  });
}

// Hostile blocks (issue: forged results) change nothing but their own row:
// the fault after the TLS attack is still reported as itself (a corrupted
// pointer guard would crash the harness's siglongjmp), code cannot be
// patched, segment bases do not outlive the block (GS back at 0), system calls of either ABI are blocked, and the
// innocent blocks between them measure right.
TEST_F(HarnessTest, HostileBlocksChangeNoOtherResult) {
  with_retries([&] {
    Harness harness(test_options());
    std::vector<Bytes> batch = {kTlsAttack,       kUd2,          kAddChain, kPatchOwnCode, kAddChain,
                                kSetSegmentBases, kReadGsMinus8, kInt80,    kSyscall,      kAddChain};
    auto r = harness.measure(batch);
    ASSERT_EQ(r.size(), batch.size());
    for (size_t i : {2u, 4u, 9u}) EXPECT_NEAR(per_instruction(r[i], 8), 1.0, 0.05) << "block " << i;
    EXPECT_EQ(r[1].reason, "SIGILL: illegal instruction");
    EXPECT_FALSE(r[3].measured());
    EXPECT_NE(r[3].reason.find("SIGSEGV: access violation"), std::string::npos) << r[3].reason;
    EXPECT_FALSE(r[6].measured());
    EXPECT_EQ(r[6].reason, "SIGSEGV: unmappable address 0xfffffffffffffff8");
    EXPECT_FALSE(r[8].measured());
    EXPECT_NE(r[8].reason.find("SIGSYS"), std::string::npos) << r[8].reason;
    // int 0x80 is blocked by seccomp, or is #GP where the kernel runs without
    // 32-bit emulation (ia32_emulation=0: a Firecracker 6.18 guest).
    EXPECT_FALSE(r[7].measured());
    EXPECT_TRUE(r[7].reason.find("SIGSYS") != std::string::npos ||
                r[7].reason.find("SIGSEGV: general protection") != std::string::npos)
        << r[7].reason;
  });
}

// Privileged and permission-gated instructions fault (#GP: SIGSEGV; AMX
// tile data without the kernel's permission: #NM, or absent: #UD, both
// SIGILL), a block that touches more pages than the cap is given up, and
// neither harms the batch. (tilerelease touches no tile data: on an AMX host
// it runs even without permission, so tilezero is the gated one.)
TEST_F(HarnessTest, PrivilegedInstructionsAndPageFloodsAreUnmeasurable) {
  Bytes flood;  // mov [rbx + 4096 n], rax for 300 pages
  for (uint32_t n = 1; n <= 300; ++n) {
    const uint32_t disp = 4096 * n;
    flood.insert(flood.end(), {0x48, 0x89, 0x83, static_cast<uint8_t>(disp), static_cast<uint8_t>(disp >> 8),
                               static_cast<uint8_t>(disp >> 16), static_cast<uint8_t>(disp >> 24)});
  }
  with_retries([&] {
    Options o = test_options();
    o.max_unrolled_bytes = 1 << 16;
    Harness harness(o);
    const std::vector<Bytes> batch = {{0xF4},                          // hlt
                                      {0xEC},                          // in al, dx
                                      {0x0F, 0x30},                    // wrmsr
                                      {0xFA},                          // cli
                                      {0xC4, 0xE2, 0x7B, 0x49, 0xC0},  // tilezero tmm0 (AMX)
                                      flood,
                                      kAddChain};
    auto r = harness.measure(batch);
    ASSERT_EQ(r.size(), batch.size());
    for (size_t i : {0u, 1u, 2u, 3u}) {
      EXPECT_FALSE(r[i].measured()) << "block " << i;
      EXPECT_NE(r[i].reason.find("SIGSEGV: general protection"), std::string::npos) << i << ": " << r[i].reason;
    }
    EXPECT_EQ(r[4].reason, "SIGILL: illegal instruction");
    EXPECT_FALSE(r[5].measured());
    EXPECT_NE(r[5].reason.find("more pages touched than the cap"), std::string::npos) << r[5].reason;
    EXPECT_NEAR(per_instruction(r[6], 8), 1.0, 0.05);
  });
}

TEST_F(HarnessTest, EmptyAndOversizedBlocks) {
  with_retries([&] {
    Options o = test_options();
    o.max_unrolled_bytes = 1024;
    Harness harness(o);
    auto r = harness.measure({Bytes{}, Bytes(600, 0x90), repeat({0x48, 0x01, 0xCB}, 100)});
    EXPECT_FALSE(r[0].measured());
    EXPECT_FALSE(r[1].measured());
    EXPECT_NE(r[1].reason.find("too long"), std::string::npos) << r[1].reason;
    // 300 bytes: unroll factors scaled down to fit 1024 bytes, still 1 cycle per add.
    EXPECT_EQ(r[2].unroll_b, 3u);
    EXPECT_NEAR(per_instruction(r[2], 100), 1.0, 0.05);
  });
}

// The clock reference checks itself when a worker starts. These references are
// wrong on every x86-64 host, in both directions, so the refusal is tested
// wherever the suite runs: `nop` retires several per cycle (as `add rax, 1`
// does on Intel Golden Cove, the case this check exists for), and an `imul`
// chain takes 3 cycles per instruction.
TEST_F(HarnessTest, RefusesAClockReferenceThatIsNotOneCycle) {
  for (const Bytes& reference : {Bytes{0x90}, Bytes{0x48, 0x0F, 0xAF, 0xC0}}) {
    Options o = test_options();
    o.reference_instruction = reference;
    o.start_retries = 1;  // the imul reference's low reading is retried first
    // Retried on noise: a start-up the host's load spoils ends as "clock
    // reference unsteady" instead; a harness that accepts the reference fails
    // every attempt.
    with_retries([&] {
      Harness harness(o);
      try {
        harness.measure({kAddChain});
        ADD_FAILURE() << "measured with a wrong clock reference " << int(reference[0]);
      } catch (const std::runtime_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("self-check"), std::string::npos) << what;
        EXPECT_NE(what.find(host_info().identity()), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      }
    });
  }
}

TEST_F(HarnessTest, ReportsTheReferenceSelfCheck) {
  with_retries([&] {
    Harness harness(test_options());
    auto r = harness.measure({kAddChain});
    ASSERT_TRUE(r[0].measured()) << r[0].reason;
    EXPECT_NEAR(harness.reference_check().imul_cycles, 3.0, 0.3);
    EXPECT_GT(harness.reference_check().tsc_per_cycle, 0);
  });
}

// A run that starts while another tenant shares the core learns a contended
// canary baseline; the host's quiet record (Options::quiet_canary) is what
// repetitions are judged against when it is lower. A record far below what
// the canaries can read flags every repetition: no value is written. One
// above this run's baseline changes nothing (the record only ever lowers it).
TEST_F(HarnessTest, AQuietCanaryRecordBelowThisRunsBaselineJudgesTheRepetitions) {
  Options o = test_options();
  o.passes = 1;
  o.quiet_canary = {0.05, 0.05};  // cycles per iteration: far below any core's 12 zero idioms or 3 loads
  Harness strict(o);
  for (const Measurement& m : strict.measure({kAddChain, kZeroIdiom})) {
    EXPECT_FALSE(m.measured()) << m.throughput.value_or(0);
    EXPECT_EQ(m.reason.rfind("disturbed by other load", 0), 0u) << m.reason;
  }
  EXPECT_GT(strict.run_canary().zero_idioms, 0.05);
  EXPECT_GT(strict.run_canary().loads, 0.05);
  with_retries([&] {
    Options lenient = test_options();
    lenient.quiet_canary = {1000, 1000};
    Harness harness(lenient);
    auto r = harness.measure({kAddChain});
    EXPECT_NEAR(per_instruction(r[0], 8), 1.0, 0.05);
    EXPECT_LT(harness.run_canary().zero_idioms, 1000);
  });
}

// A stretch of contention made on purpose: the canaries' baseline set to two
// thirds of what they cost, and the per-repetition canary check off, so every
// repetition passes (as the lucky ones do in a real stretch) while the
// canaries read 1.5x: only the window of recent repetitions can name it.
TEST_F(HarnessTest, AStretchOfContendedCanariesGivesItsBlocksUp) {
  Options probe_options = test_options();
  probe_options.passes = 1;
  Harness probe(probe_options);
  probe.measure({kAddChain});
  const CanaryCycles real = probe.run_canary();
  ASSERT_GT(real.zero_idioms, 0);
  ASSERT_GT(real.loads, 0);
  Options o = test_options();
  o.passes = 1;
  o.canary_tolerance = 100;
  o.quiet_canary = {real.zero_idioms / 1.5, real.loads / 1.5};
  o.stretch_repetitions = 20;  // judged from 10 held; each block adds at least 3
  const std::vector<Bytes> blocks(12, kAddChain);
  with_retries([&] {
    Harness contended(o);
    const std::vector<Measurement> r = contended.measure(blocks);
    EXPECT_NEAR(per_instruction(r[0], 8), 1.0, 0.05);  // a fresh worker holds nothing to judge by
    for (size_t i = 7; i < r.size(); ++i) {
      EXPECT_FALSE(r[i].measured()) << i << ": " << r[i].throughput.value_or(0);
      EXPECT_EQ(r[i].reason.rfind("disturbed by other load", 0), 0u) << r[i].reason;
      EXPECT_NE(r[i].reason.find("a stretch of contention"), std::string::npos) << r[i].reason;
    }
  });
  with_retries([&] {
    Options lenient = o;
    lenient.stretch_tolerance = 3;  // the same readings under a looser tolerance
    Harness harness(lenient);
    for (const Measurement& m : harness.measure(blocks)) EXPECT_NEAR(per_instruction(m, 8), 1.0, 0.05);
  });
}

// A worker whose block code runs slowly for its whole life (one in a few
// hundred on a Zen 5 guest, recent_repetitions.h): most of its repetitions
// read the b run over the unrolling ratio. Forced here for every block
// (unrolling_excess -0.9), with a window of 20 judged from 10 held: a
// block timed through 20 such repetitions is given up naming the worker's
// state, and so is the block already sent to that worker, untimed; a fresh
// worker takes over and times the next one. A worker kept on would give
// every later block up untimed; with the rule off every block is given up
// for its own runs.
TEST_F(HarnessTest, AWorkerWhoseBlockCodeRunsSlowlyIsReplaced) {
  Options o = test_options();
  o.passes = 1;
  o.unrolling_excess = -0.9;
  o.stretch_repetitions = 20;
  const std::vector<Bytes> blocks(9, kAddChain);
  // Retried on noise: the window holds only repetitions whose calibration
  // held, and a busy host can switch the worker out in over half of the
  // first block's 20.
  with_retries([&] {
    const std::vector<Measurement> r = Harness(o).measure(blocks);
    size_t timed = 0;
    for (const Measurement& m : r) {
      EXPECT_FALSE(m.measured());
      EXPECT_EQ(m.reason.rfind("disturbed by this worker's block code: ", 0), 0u) << m.reason;
      EXPECT_NE(m.reason.find("repetitions read the b run over 0.10 x b/a times the a run"), std::string::npos)
          << m.reason;
      timed += m.attempts > 0;
    }
    EXPECT_GE(timed, 3u) << "a fresh worker times the block after a replaced one's";
    EXPECT_GT(r[0].attempts, 0u);
    EXPECT_EQ(r[1].attempts, 0u) << "the block in flight to the replaced worker is not timed";
  });
  Options off = o;
  off.code_mode_share = 0;
  for (const Measurement& m : Harness(off).measure(blocks))
    EXPECT_EQ(m.reason.rfind("disturbed by its own runs or other load: ", 0), 0u) << m.reason;
  Options bad = o;
  bad.code_mode_share = 1;
  EXPECT_THROW(Harness{bad}, std::invalid_argument);
}

TEST(HostInfo, IdentifiesTheCpu) {
  HostInfo h = host_info();
#if defined(__x86_64__)
  EXPECT_FALSE(h.vendor.empty());
  EXPECT_GT(h.family, 0);
  EXPECT_EQ(h.identity().find(' '), std::string::npos);
#endif
}

// What lets a timing test be skipped instead of failed after minutes of
// retries: the harness's reason with a canary over its tolerance. Flagged
// repetitions whose canaries read their clean values are no such proof (a
// harness that flags a quiet machine must fail its tests).
TEST(RetryOnNoise, OnlyCanariesOverTheirCleanValuesProveOtherLoad) {
  EXPECT_TRUE(other_load_proof("disturbed by other load: 20 of 20 repetitions flagged, no two runs agreeing "
                               "(canaries up to 3.32/1.03 cycles, clean 2.46/0.72)"));
  EXPECT_TRUE(other_load_proof("Value of: m.measured()\ndisturbed by other load: 18 of 20 repetitions flagged "
                               "(canaries up to 2.50/0.95 cycles, clean 2.46/0.72)"));
  EXPECT_FALSE(other_load_proof("disturbed by other load: 20 of 20 repetitions flagged "
                                "(canaries up to 2.50/0.75 cycles, clean 2.46/0.72)"));
  EXPECT_TRUE(
      other_load_proof("disturbed by other load: the canaries read a median 1.27x/1.16x their clean cost "
                       "over the worker's last 200 repetitions before this block (a stretch of contention: "
                       "over 1.12x)"));
  EXPECT_FALSE(
      other_load_proof("disturbed by other load: the canaries read a median 1.02x/1.01x their clean cost "
                       "over the worker's last 200 repetitions before this block (a stretch of contention: "
                       "over 1.12x)"));
  EXPECT_TRUE(
      other_load_proof("disturbed by other load: the canaries read a median 1.045x/1.040x their clean cost "
                       "over the worker's last 200 repetitions before this block (a stretch of contention: "
                       "over 1.06x, or both over 1.030x)"));
  EXPECT_FALSE(
      other_load_proof("disturbed by other load: the canaries read a median 1.045x/1.010x their clean cost "
                       "over the worker's last 200 repetitions before this block (a stretch of contention: "
                       "over 1.06x, or both over 1.030x)"));
  EXPECT_FALSE(other_load_proof("The difference between add and 1.0 is 0.4, which exceeds 0.05"));
  EXPECT_FALSE(other_load_proof("clock reference unsteady: disturbed by other load"));
}

// After the last retry a proof of other load skips the test; any other
// failure fails it (here with no waits between the attempts).
TEST(RetryOnNoise, SkipsOnlyWhenTheLastAttemptProvesOtherLoad) {
  auto outcome = [](const std::string& message) {
    ::testing::TestPartResultArray results;
    {
      ::testing::ScopedFakeTestPartResultReporter capture(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
      with_retries([&] { ADD_FAILURE() << message; }, /*max_wait_seconds=*/0);
    }
    EXPECT_EQ(results.size(), 1);
    return results.size() == 1 ? results.GetTestPartResult(0).type() : ::testing::TestPartResult::kSuccess;
  };
  EXPECT_EQ(outcome("disturbed by other load: 5 of 5 repetitions flagged (canaries up to 3.32/1.03 cycles, clean "
                    "2.46/0.72)"),
            ::testing::TestPartResult::kSkip);
  EXPECT_EQ(outcome("disturbed by other load: 5 of 5 repetitions flagged (canaries up to 2.46/0.72 cycles, clean "
                    "2.46/0.72)"),
            ::testing::TestPartResult::kNonFatalFailure);
  EXPECT_EQ(outcome("add reads 2 cycles"), ::testing::TestPartResult::kNonFatalFailure);
}

}  // namespace
}  // namespace surrogate::measure
