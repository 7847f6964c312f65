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
#include <filesystem>
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

// LLVM 19's own llvm-mca x86 test inputs (BUILD/llvm-mca-tests, which
// `make test` extracts from Debian's llvm-toolchain-19 source package with
// tools/extract_llvm_mca_tests.py): every straight-line region, on every CPU
// its test's RUN lines name, read from the text as `surrogate simulate` reads
// assembly, against llvm-mca-19 on the same text.
struct LlvmTestRegion {
  std::string input;  // file name in data/llvm-mca-tests/x86
  std::string text;   // the region's assembly, as in the test
  std::optional<block::BasicBlock> block;
  std::string left_out;  // why the region is not straight-line code we compare, when it is not
};

// The straight-line pieces of a test's region. llvm-mca simulates branches,
// calls and returns as any other instruction; our reader ends a block there
// (and refuses operands naming a symbol). So a region is cut at each such
// line, and every run of lines between cuts is compared on its own (LLVM's
// resources-x86_64.s, all scalar integer instructions, has 16 of them). A
// cut line is reported as a left-out piece.
std::vector<LlvmTestRegion> straight_line_pieces(const std::string& text, const std::string& input) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string syntax;  // a leading .intel_syntax holds for every piece
  if (!lines.empty() && lines[0].find(".intel_syntax") != std::string::npos) syntax = lines[0] + "\n";
  std::vector<LlvmTestRegion> pieces;
  auto piece_text = [&](std::size_t from, std::size_t to) {
    std::string t = from > 0 ? syntax : "";
    for (std::size_t i = from; i < to; ++i) t += lines[i] + "\n";
    return t;
  };
  auto instructions = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      if (lines[i].find_first_not_of(" \t") != std::string::npos && lines[i].find(".intel_syntax") == std::string::npos)
        return true;
    return false;
  };
  // `read`: the piece as already read, when the caller has it.
  auto add = [&](std::size_t from, std::size_t to, std::optional<block::BlockFile> read = std::nullopt) {
    if (!instructions(from, to)) return;
    LlvmTestRegion r{input, piece_text(from, to), std::nullopt, ""};
    try {
      if (!read) read = block::read_asm(r.text, input);
      if (read->blocks.size() == 1 && read->notes.empty())
        r.block = std::move(read->blocks[0]);
      else
        r.left_out = "not one block";
    } catch (const std::exception& e) {
      r.left_out = std::string("not read: ") + e.what();
    }
    pieces.push_back(std::move(r));
  };
  const std::regex position("^" + input + R"(:(\d+):\d+: (.*))");
  std::size_t from = 0;
  while (from < lines.size()) {
    const std::size_t offset = from > 0 && !syntax.empty() ? 1 : 0;  // the repeated syntax line
    std::string why;
    std::size_t cut = lines.size();  // index of the line that ends the piece
    try {
      block::BlockFile read = block::read_asm(piece_text(from, lines.size()), input);
      if (read.notes.empty()) {
        add(from, lines.size(), std::move(read));
        break;
      }
      why = "a branch at the end";
      cut = lines.size() - 1;
      while (cut > from && lines[cut].find_first_not_of(" \t") == std::string::npos) --cut;
    } catch (const std::exception& e) {
      std::smatch m;
      const std::string what = e.what();
      const bool control = what.find("control flow inside") != std::string::npos;
      const bool symbol = what.find("relocation") != std::string::npos || what.find("symbol") != std::string::npos;
      if (!std::regex_search(what, m, position) || !(control || symbol)) {
        add(from, lines.size());  // not read: reported with its reason
        break;
      }
      why = control ? "a branch, call or return" : "an operand naming a symbol";
      cut = from + std::stoul(m[1]) - 1 - offset;
    }
    add(from, cut);
    pieces.push_back({input, cut < lines.size() ? lines[cut] : "", std::nullopt, "cut: " + why});
    from = cut + 1;
  }
  return pieces;
}

std::vector<LlvmTestRegion> read_llvm_test_regions(std::map<std::string, std::vector<std::size_t>>& by_cpu) {
  std::vector<LlvmTestRegion> regions;
  const std::filesystem::path dir = std::filesystem::path(SURROGATE_BINARY_DIR) / "llvm-mca-tests/x86";
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << dir << " is missing: `make test` makes it (tools/extract_llvm_mca_tests.py "
                  << SURROGATE_BINARY_DIR << "/llvm-mca-tests)";
    return regions;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& path : files) {
    std::ifstream in(path);
    std::string line, cpus, text;
    std::vector<std::string> texts;
    while (std::getline(in, line)) {
      if (line.rfind("# cpus: ", 0) == 0) cpus = line.substr(8);
      if (line.rfind("# ", 0) == 0) continue;  // provenance, and the regions' own markers
      if (line.empty()) {
        if (!text.empty()) texts.push_back(std::move(text));
        text.clear();
        continue;
      }
      text += line + "\n";
    }
    if (!text.empty()) texts.push_back(std::move(text));
    for (const std::string& t : texts) {
      for (LlvmTestRegion& r : straight_line_pieces(t, path.filename().string())) {
        std::istringstream names(cpus);
        for (std::string cpu; names >> cpu;) by_cpu[cpu].push_back(regions.size());
        regions.push_back(std::move(r));
      }
    }
  }
  return regions;
}

TEST(Parity, EveryStraightLineInputOfLlvmsOwnMcaTests) {
  std::map<std::string, std::vector<std::size_t>> by_cpu;
  const std::vector<LlvmTestRegion> regions = read_llvm_test_regions(by_cpu);
  std::map<std::string, std::size_t> cut;
  std::size_t straight = 0, not_read = 0;
  for (const LlvmTestRegion& r : regions) {
    if (r.block) {
      ++straight;
    } else if (r.left_out.rfind("cut: ", 0) == 0) {
      ++cut[r.left_out.substr(5)];
    } else {
      ++not_read;
      std::printf("  left out: %s\n", r.left_out.c_str());
    }
  }
  std::printf("%zu straight-line pieces of LLVM's llvm-mca x86 test inputs, %zu not read\n", straight, not_read);
  for (const auto& [why, n] : cut) std::printf("  lines cut, %s: %zu\n", why.c_str(), n);
  // 222 inputs (llvm-mca-tests/README.md) make 370 pieces; a reader that lost
  // them would compare nothing. Not read: a CodeView directive (.cv_fpo_pushreg,
  // LLVM's test that llvm-mca does not crash on it) and `callq printf`, which
  // has no register and so reads as Intel syntax.
  EXPECT_GE(straight, 350u);
  EXPECT_LE(not_read, 2u);

  std::size_t compared = 0, matched = 0, pairs = 0;
  for (const auto& [cpu, members] : by_cpu) {
    std::optional<Simulator> sim;
    try {
      sim.emplace(CpuParams::stock(cpu));
    } catch (const std::exception& e) {
      ADD_FAILURE() << cpu << ": " << e.what();
      continue;
    }
    std::vector<std::optional<std::uint64_t>> ours(members.size());
    util::parallel_for(members.size(), util::default_jobs(), [&](std::size_t i, unsigned) {
      const LlvmTestRegion& r = regions[members[i]];
      if (!r.block) return;
      try {
        ours[i] = sim->cycles(*r.block);
      } catch (const SimulationError&) {
      }
    });
    std::string path = ::testing::TempDir() + "llvm_tests_" + cpu + "_" + std::to_string(::getpid()) + ".s";
    {
      std::ofstream out(path);
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (!ours[i]) continue;
        const std::string& text = regions[members[i]].text;
        out << "# LLVM-MCA-BEGIN " << i << "\n" << text << "# LLVM-MCA-END\n";
        if (text.find(".intel_syntax") != std::string::npos) out << ".att_syntax prefix\n";
        out << "\n";
      }
    }
    const auto mca = run_llvm_mca(cpu, path);
    std::remove(path.c_str());
    std::size_t cpu_compared = 0, cpu_matched = 0, cpu_pieces = 0;
    for (std::size_t i = 0; i < members.size(); ++i) {
      cpu_pieces += regions[members[i]].block.has_value();
      if (!ours[i]) continue;
      auto it = mca.find(i);
      EXPECT_NE(it, mca.end()) << cpu << ": llvm-mca reported no region for " << regions[members[i]].input;
      if (it == mca.end()) continue;
      ++cpu_compared;
      if (*ours[i] == it->second)
        ++cpu_matched;
      else
        std::printf("  mismatch %s %s: ours %llu, llvm-mca %llu\n", cpu.c_str(), regions[members[i]].input.c_str(),
                    static_cast<unsigned long long>(*ours[i]), static_cast<unsigned long long>(it->second));
    }
    std::printf("%s: %zu pieces, %zu simulated, %zu match llvm-mca\n", cpu.c_str(), cpu_pieces, cpu_compared,
                cpu_matched);
    compared += cpu_compared;
    matched += cpu_matched;
    pairs += cpu_pieces;
  }
  // Not simulated: pieces with an instruction the CPU does not have (llvm-mca skips it).
  std::printf("all: %zu (piece, cpu) pairs, %zu simulated, %zu match\n", pairs, compared, matched);
  EXPECT_GE(compared, pairs * 9 / 10);
  EXPECT_EQ(matched, compared);
}

}  // namespace
}  // namespace surrogate::mca
