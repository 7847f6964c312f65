#include "mca/simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "block/asm_reader.h"
#include "block/block_reader.h"
#include "block/x86_target.h"
#include "util/parallel.h"

namespace surrogate::mca {
namespace {

block::BasicBlock block(const std::string& att) { return block::read_asm(att, "test.s").blocks.at(0); }

std::string opcode_of(const block::BasicBlock& b, std::size_t i) {
  return block::X86Target::get().opcode_name(b.instructions.at(i).getOpcode());
}

TEST(Simulator, HigherLatencyOnAChainRaisesCycles) {
  block::BasicBlock chain = block("imulq %rax, %rax\nimulq %rax, %rax\n");
  CpuParams p = CpuParams::stock("haswell");
  std::uint64_t stock = Simulator(p).cycles(chain);
  EXPECT_NEAR(stock, 600, 10);  // imul latency 3, two per iteration
  unsigned op = block::X86Target::get().find_opcode(opcode_of(chain, 0));
  p.opcodes.at(op).latencies.at(0).cycles = 6;
  EXPECT_NEAR(Simulator(p).cycles(chain), 1200, 10);
}

TEST(Simulator, RemovingAPortFromAPortBoundBlockRaisesCycles) {
  block::BasicBlock adds = block(
      "addq $1, %rax\naddq $1, %rbx\naddq $1, %rcx\naddq $1, %rdx\n"
      "addq $1, %rsi\naddq $1, %rdi\naddq $1, %r8\naddq $1, %r9\n");
  CpuParams p = CpuParams::stock("haswell");
  std::uint64_t four_ports = Simulator(p).cycles(adds);
  EXPECT_NEAR(four_ports, 200, 10);  // 8 adds over ports 0,1,5,6
  SchedRow& row = p.opcodes.at(block::X86Target::get().find_opcode(opcode_of(adds, 0)));
  ASSERT_EQ(row.ports.size(), 1u);
  row.ports.clear();
  row.ports[p.find_resource("HWPort06")] = {1, 0};  // ports 1 and 5 removed
  EXPECT_NEAR(Simulator(p).cycles(adds), 400, 10);
}

TEST(Simulator, UnsupportedInstructionIsAOneLineError) {
  block::BasicBlock avx512 = block("vpaddd %zmm1, %zmm2, %zmm3\n");
  try {
    Simulator(CpuParams::stock("btver2")).cycles(avx512);
    FAIL() << "LLVM's btver2 model has no AVX-512";
  } catch (const SimulationError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos);
    EXPECT_NE(what.find("vpaddd"), std::string::npos) << what;
  }
  // As llvm-mca-19 does, haswell's model simulates it (LLVM gives it numbers).
  EXPECT_GT(Simulator(CpuParams::stock("haswell")).cycles(avx512), 0u);
}

// LLVM 19's znver4 model has vpconflict use overlapping port groups, on
// which llvm-mca-19 itself crashes (SIGSEGV) next to some other instructions:
// such a block is a SimulationError, and the process lives on.
TEST(Simulator, ABlockLlvmCrashesOnIsAnErrorNotACrash) {
  const Simulator znver4(CpuParams::stock("znver4"));
  try {
    znver4.cycles(block("psubsb (%r9), %xmm13\nvpconflictq %zmm13, %zmm13 {%k2}\n"));
    FAIL() << "llvm-mca-19 crashes on this block";
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos);
    EXPECT_NE(what.find("crashes"), std::string::npos) << what;
  }
  // The same instruction where LLVM survives it: cycles as llvm-mca-19 gives
  // them (603 over 100 iterations), with and without a report.
  const block::BasicBlock alone = block("vpconflictq %zmm13, %zmm13 {%k2}\n");
  EXPECT_EQ(znver4.cycles(alone), 603u);
  EXPECT_EQ(znver4.report(alone).cycles, 603u);
  EXPECT_EQ(znver4.cycles(block("psubsb (%r9), %xmm13\n")), 110u);  // not isolated, as before
  // llvm-mca-19 -mcpu=alderlake never finishes this one: stopped, an error.
  try {
    Simulator(CpuParams::stock("alderlake"))
        .cycles(block("orl $1, 128(%r8)\ncvtss2sd %xmm13, %xmm0\nvmovhpd %xmm5, 8(%r15,%rcx,4)\n"
                      "dpps $2, %xmm8, %xmm11\nvextractf128 $5, %ymm15, 16(%rcx,%rcx,4)\n"
                      "vpackssdw %ymm8, %ymm13, %ymm7\n"));
    FAIL() << "llvm-mca-19 does not finish this block";
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("does not finish"), std::string::npos) << e.what();
  }
}

TEST(Simulator, ThreadsGiveTheSameResultsAsOneThread) {
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(1000);
  Simulator sim(CpuParams::stock("skylake"));
  auto run = [&](unsigned jobs) {
    std::vector<std::int64_t> out(blocks.size());
    util::parallel_for(blocks.size(), jobs, [&](std::size_t i, unsigned) {
      try {
        out[i] = static_cast<std::int64_t>(sim.cycles(blocks[i]));
      } catch (const SimulationError&) {
        out[i] = -1;
      }
    });
    return out;
  };
  EXPECT_EQ(run(1), run(4));
}

long resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 10, '\n');
  }
  return 0;
}

TEST(Simulator, MemoryStaysFlatOverManyBlocks) {
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  Simulator sim(CpuParams::stock("haswell"));
  auto round = [&] {
    util::parallel_for(blocks.size(), 2, [&](std::size_t i, unsigned) {
      try {
        sim.cycles(blocks[i], 10);
      } catch (const SimulationError&) {
      }
    });
  };
  round();
  long before = resident_kb();
  for (int r = 0; r < 4; ++r) round();
  long growth = resident_kb() - before;
  EXPECT_LT(growth, 8 * 1024) << "RSS grew " << growth << " KiB over " << 4 * blocks.size() << " blocks";
}

// A table of only a block's opcode rows (the cheap way to simulate many
// parameter sets) simulates the block exactly as the whole table does, also
// after an edit of one of those rows.
TEST(Simulator, OnlyTheBlocksOpcodeRowsSimulateTheSame) {
  std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  blocks.resize(300);
  CpuParams p = CpuParams::stock("skylake");
  for (auto& [op, row] : p.opcodes)
    for (WriteLatency& w : row.latencies) w.cycles = static_cast<std::int16_t>(w.cycles + op % 3);  // edited rows
  Simulator whole(p);
  for (const block::BasicBlock& b : blocks) {
    std::set<unsigned> ops;
    for (const llvm::MCInst& inst : b.instructions) ops.insert(inst.getOpcode());
    CpuParams few = p.only_opcodes(ops);
    EXPECT_LE(few.opcodes.size(), ops.size());
    std::optional<std::uint64_t> expected, got;
    try {
      expected = whole.cycles(b);
    } catch (const SimulationError&) {
    }
    try {
      got = Simulator(few).cycles(b);
    } catch (const SimulationError&) {
    }
    EXPECT_EQ(got, expected) << b.name;
  }
}

// The report's figures are the pipeline's own: a dependent imul chain
// executes 3 cycles per imul and loads port 1 once per iteration; eight
// independent adds saturate haswell's four ALU ports and wait for them.
TEST(Simulator, ReportShowsLatencyPressureAndWaiting) {
  Simulator haswell(CpuParams::stock("haswell"));
  block::BasicBlock chain = block("imulq %rax, %rax\n");
  SimulationReport r = haswell.report(chain);
  EXPECT_EQ(r.cycles, haswell.cycles(chain));
  EXPECT_EQ(r.iterations, 100u);
  ASSERT_EQ(r.instructions.size(), 1u);
  EXPECT_EQ(r.instructions[0].text, "imulq %rax, %rax");
  EXPECT_NEAR(r.instructions[0].executing, 3.0, 1e-9);
  // Dispatched far ahead of the chain, each imul waits for the previous one
  // and then issues at once (port 1 is free).
  EXPECT_GT(r.instructions[0].waiting_for_operands, 3.0);
  EXPECT_LT(r.instructions[0].waiting_for_resources, 0.05);
  EXPECT_EQ(r.busiest_resource().first, "HWPort1");
  EXPECT_NEAR(r.busiest_resource().second, 1.0, 1e-9);

  block::BasicBlock adds = block(
      "addq $1, %rax\naddq $1, %rbx\naddq $1, %rcx\naddq $1, %rdx\n"
      "addq $1, %rsi\naddq $1, %rdi\naddq $1, %r8\naddq $1, %r9\n");
  SimulationReport a = haswell.report(adds);
  EXPECT_EQ(a.cycles, haswell.cycles(adds));
  double alu = 0;
  for (const char* port : {"HWPort0", "HWPort1", "HWPort5", "HWPort6"}) {
    auto it = std::find(a.resource_names.begin(), a.resource_names.end(), port);
    ASSERT_NE(it, a.resource_names.end());
    alu += a.resource_pressure[it - a.resource_names.begin()];
  }
  EXPECT_NEAR(alu, 8.0, 1e-9);  // 8 one-cycle micro-ops per iteration over ports 0, 1, 5, 6
  EXPECT_GT(a.busiest_resource().second, 0.9);
  double waiting = 0;
  for (const InstructionTiming& t : a.instructions) waiting += t.waiting_for_resources;
  EXPECT_GT(waiting, 0) << "8 adds per iteration, 4 ports: some wait for a port";
}

}  // namespace
}  // namespace surrogate::mca
