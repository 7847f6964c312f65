// Exactness against the llvm-mca-19 binary on the BHive sample shipped in data/.
//
// Each block is printed as AT&T text, which is what llvm-mca reads. A few
// encodings do not survive that text round trip (e.g. `push imm32` assembles
// back as `push imm8`); llvm-mca then simulates a different instruction. So we
// compare two things and report both:
//  - same instruction stream: our simulation of the re-assembled text vs
//    llvm-mca (this is the simulator's exactness; expected 100%);
//  - original bytes: our simulation of the block as given vs llvm-mca.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "block/asm_reader.h"
#include "block/block_reader.h"
#include "block/decoder.h"
#include "mca/cpu_catalog.h"
#include "mca/simulator.h"
#include "util/parallel.h"

namespace surrogate::mca {
namespace {

const std::vector<block::BasicBlock>& sample_blocks() {
  static const std::vector<block::BasicBlock> blocks =
      block::read_blocks(std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv");
  return blocks;
}

// Total cycles per region index, from llvm-mca-19's report.
std::map<std::size_t, std::uint64_t> run_llvm_mca(const std::string& cpu, const std::string& asm_path,
                                                  const std::string& extra_flags = "") {
  std::string cmd = "llvm-mca-19 -mtriple=x86_64-unknown-linux-gnu -mcpu=" + cpu +
                    " -iterations=100 -instruction-info=0 -resource-pressure=0 "
                    "-skip-unsupported-instructions=any " +
                    extra_flags + " " + asm_path + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  char buf[1 << 16];
  while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  pclose(pipe);
  std::map<std::size_t, std::uint64_t> cycles;
  std::regex re(R"(Code Region - (\d+)\n\nIterations:\s+\d+\nInstructions:\s+\d+\nTotal Cycles:\s+(\d+))");
  for (std::sregex_iterator it(out.begin(), out.end(), re), end; it != end; ++it)
    cycles[std::stoul((*it)[1])] = std::stoull((*it)[2]);
  return cycles;
}

struct Parity {
  std::size_t blocks = 0, unsupported = 0, compared = 0, same_stream_match = 0, original_match = 0;
  std::size_t text_changes_encoding = 0, llvm_mca_missing = 0;
  std::size_t unexplained = 0;  // original-bytes mismatches not caused by the text round trip
  std::vector<std::string> mismatches;
};

Parity compare(const std::string& cpu, std::size_t limit, const std::string& extra_flags = "",
               const std::function<void(CpuParams&)>& edit = nullptr,
               const std::vector<block::BasicBlock>* blocks = nullptr) {
  const std::vector<block::BasicBlock>& all = blocks ? *blocks : sample_blocks();
  std::size_t n = std::min(limit, all.size());
  CpuParams params = CpuParams::stock(cpu);
  if (edit) edit(params);
  Simulator sim(params);
  Parity p;
  p.blocks = n;
  std::vector<std::optional<std::uint64_t>> ours(n), ours_text(n);
  std::vector<std::string> text(n);
  std::vector<bool> changed(n);
  util::parallel_for(n, util::default_jobs(), [&](std::size_t i, unsigned) {
    text[i] = block::format_block(all[i]);
    block::BasicBlock reparsed = block::read_asm(text[i], "block", block::AsmSyntax::kAtt).blocks.at(0);
    changed[i] = reparsed.bytes != all[i].bytes;
    try {
      ours[i] = sim.cycles(all[i]);
      ours_text[i] = sim.cycles(reparsed);
    } catch (const SimulationError&) {
    }
  });
  // Unique per process and call: ctest runs tests of this binary in parallel.
  static std::atomic<int> calls{0};
  std::string path =
      ::testing::TempDir() + "parity_" + cpu + "_" + std::to_string(::getpid()) + "_" + std::to_string(calls++) + ".s";
  {
    std::ofstream out(path);
    for (std::size_t i = 0; i < n; ++i)
      if (ours_text[i]) out << "# LLVM-MCA-BEGIN " << i << "\n" << text[i] << "# LLVM-MCA-END\n\n";
  }
  auto mca = run_llvm_mca(cpu, path, extra_flags);
  std::remove(path.c_str());
  for (std::size_t i = 0; i < n; ++i) {
    if (!ours_text[i]) {
      ++p.unsupported;
      continue;
    }
    auto it = mca.find(i);
    if (it == mca.end()) {
      ++p.llvm_mca_missing;
      continue;
    }
    ++p.compared;
    p.text_changes_encoding += changed[i];
    p.same_stream_match += *ours_text[i] == it->second;
    p.original_match += *ours[i] == it->second;
    if (*ours[i] != it->second && !changed[i]) ++p.unexplained;
    if (*ours[i] != it->second)
      p.mismatches.push_back(all[i].hex() + " ours " + std::to_string(*ours[i]) + " (text " +
                             std::to_string(*ours_text[i]) + ") llvm-mca " + std::to_string(it->second) +
                             (changed[i] ? " [text round trip changes the encoding]" : ""));
  }
  std::printf(
      "%s: %zu blocks, %zu unsupported, %zu compared; same stream %zu/%zu, original bytes %zu/%zu, "
      "%zu change encoding in text, %zu missing from llvm-mca\n",
      cpu.c_str(), p.blocks, p.unsupported, p.compared, p.same_stream_match, p.compared, p.original_match, p.compared,
      p.text_changes_encoding, p.llvm_mca_missing);
  for (const std::string& m : p.mismatches) std::printf("  mismatch: %s\n", m.c_str());
  return p;
}

class MainCpus : public ::testing::TestWithParam<std::string> {};

TEST_P(MainCpus, MatchesLlvmMcaOnTheShippedSample) {
  Parity p = compare(GetParam(), 100000);
  ASSERT_GE(p.blocks, 2000u);
  EXPECT_EQ(p.llvm_mca_missing, 0u);
  EXPECT_LE(p.unsupported, p.blocks / 100);
  // The simulator itself: identical instruction streams give identical cycles.
  EXPECT_GE(p.same_stream_match, p.compared * 999 / 1000);
  // The blocks as given (text round-trip artefacts included): the issue's bar.
  EXPECT_GE(p.original_match, p.compared * 995 / 1000);
  // Mismatches on the original bytes come from the text round trip, not the simulator.
  EXPECT_LE(p.unexplained, p.compared / 1000);
}

INSTANTIATE_TEST_SUITE_P(Parity, MainCpus, ::testing::Values("haswell", "skylake", "znver4"));

TEST(Parity, SmokeOnEveryCpuWithASchedulingModel) {
  std::size_t cpus = 0;
  for (const CpuInfo& cpu : x86_cpus()) {
    if (cpu.sched_model.empty()) continue;
    ++cpus;
    Parity p = compare(cpu.name, 150);
    EXPECT_EQ(p.llvm_mca_missing, 0u) << cpu.name;
    EXPECT_GE(p.same_stream_match, p.compared * 98 / 100) << cpu.name;
  }
  EXPECT_GE(cpus, 40u);
}

TEST(Parity, DispatchWidthEditReproducesLlvmMcaDispatchFlag) {
  for (unsigned width : {1u, 2u, 6u}) {
    Parity p = compare("haswell", 400, "-dispatch=" + std::to_string(width),
                       [&](CpuParams& params) { params.global.dispatch_width = width; });
    EXPECT_EQ(p.same_stream_match, p.compared) << "dispatch width " << width;
  }
}

// lock-prefixed code given as machine code: the decoder yields the prefix
// with its instruction, as llvm-mca's assembler does (it was an instruction
// of its own: 3,469 cycles against llvm-mca's 1,303 on znver4 for the first
// block, LLVM's own test input llvm/test/tools/llvm-mca/X86/*/zero-idioms
// style "lock xadd; add; add; imul; imul").
TEST(Parity, LockPrefixedMachineCodeMatchesLlvmMca) {
  const char* texts[] = {
      "lock xaddl %ecx, (%rsp)\naddl %eax, %ebx\naddl %eax, %ebx\nimull %ecx, %ecx\nimull %ecx, %ecx\n",
      "lock addq %rax, (%rdi)\naddq $1, %rax\n", "lock cmpxchgq %rcx, (%rdx)\n",
      "lock incl 8(%rsp)\nlock decl 16(%rsp)\n", "lock orb $1, (%rsi)\nmovq (%rsi), %rax\n"};
  std::vector<block::BasicBlock> blocks;
  block::Decoder decoder;
  for (const char* text : texts) {
    const block::BasicBlock assembled = block::read_asm(text, "lock.s").blocks.at(0);
    ASSERT_EQ(assembled.bytes[0], 0xf0) << text;
    block::BasicBlock decoded = decoder.decode_block(assembled.bytes, "lock", block::BytePosition{}, nullptr);
    EXPECT_EQ(decoded.instructions.size(), assembled.instructions.size()) << text;
    EXPECT_EQ(block::format_block(decoded), block::format_block(assembled)) << text;
    blocks.push_back(std::move(decoded));
  }
  for (const char* cpu : {"haswell", "znver4", "sapphirerapids"}) {
    Parity p = compare(cpu, blocks.size(), "", nullptr, &blocks);
    EXPECT_EQ(p.compared, blocks.size()) << cpu;
    EXPECT_EQ(p.original_match, p.compared) << cpu;
  }
}

}  // namespace
}  // namespace surrogate::mca
