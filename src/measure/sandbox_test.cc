// The sandbox's invariant, checked in this process whatever the layout: what
// a block can reach (the RunContext page next to its code, its registers, its
// FS-relative memory, the code itself) holds no address of the harness, and
// no writable view of the code exists. Together with a position-independent
// binary this is why a block cannot redirect the harness (issue: forged
// results); harness_test.cc runs the attacks themselves through workers.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "measure/block_memory.h"
#include "measure/code_buffer.h"
#include "measure/fault_guard.h"
#include "measure/host_info.h"
#include "measure/measurement.h"
#include "measure/run_context.h"
#include "measure/timed_code.h"

namespace surrogate::measure {
namespace {

struct Mapping {
  uint64_t begin = 0, end = 0;
  std::string perms, name;
};

std::vector<Mapping> mappings() {
  std::vector<Mapping> out;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    Mapping m;
    std::string range, offset, dev, inode;
    in >> range >> m.perms >> offset >> dev >> inode;
    std::getline(in >> std::ws, m.name);
    m.begin = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    m.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    out.push_back(m);
  }
  return out;
}

const Mapping* mapping_of(const std::vector<Mapping>& maps, uint64_t address) {
  for (const auto& m : maps)
    if (address >= m.begin && address < m.end) return &m;
  return nullptr;
}

// A block's timed code run in this process, as a worker runs it.
struct InProcessRun {
  const Options options;
  const bool has_avx = host_info().has_avx;
  BlockMemory memory{options.init_value, 64};
  CodeBuffer code{1, 64 * 1024};
  FaultGuard guard{memory, has_avx};

  // Emits `block` into slot 0 and runs it `iterations` times; false with
  // *fault when it faulted.
  bool run(const std::vector<uint8_t>& block, uint64_t iterations, Fault* fault) {
    code.write(0,
               emit_timed_code({block, 1, options.init_value, has_avx}, code.slot_address(0), code.context_address()));
    RunContext inputs;
    inputs.iterations = iterations;
    inputs.block_rsp = memory.block_rsp();
    inputs.block_mxcsr = options.mxcsr();
    inputs.vector_init[0] = inputs.vector_init[1] = options.init_value;
    code.context() = inputs;
    memory.reset();
    return guard.run(code, 0, /*allow_mapping=*/true, fault, /*block_fs=*/options.init_value);
  }
};

TEST(Sandbox, NothingABlockCanReachHoldsAHarnessAddress) {
  if (auto why = unsupported_host_reason()) GTEST_SKIP() << *why;
  InProcessRun h;
  const Options& options = h.options;
  BlockMemory& memory = h.memory;
  CodeBuffer& code = h.code;
  // The block stores what it finds through FS, where the harness's thread
  // control block (and from it the harness's stack) would be, onto its stack page.
  const std::vector<uint8_t> block = {
      0x64, 0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00,  // mov rax, fs:[0]      (TCB self pointer)
      0x48, 0x89, 0x04, 0x24,                                // mov [rsp], rax
      0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00,  // mov rax, fs:[0x10]   (thread pointer)
      0x48, 0x89, 0x44, 0x24, 0x08,                          // mov [rsp+8], rax
  };
  Fault fault;
  ASSERT_TRUE(h.run(block, 3, &fault)) << fault.describe();
  EXPECT_GT(code.context().ticks(), 0u);

  // The harness's own TLS works after the run (FS is the harness's again).
  thread_local int tls_probe = 41;
  EXPECT_EQ(++tls_probe, 42);

  const auto maps = mappings();
  const Mapping* data = mapping_of(maps, memory.block_rsp());
  const Mapping* exec = mapping_of(maps, code.exec_begin());
  ASSERT_NE(data, nullptr);
  ASSERT_NE(exec, nullptr);
  // Only block memory or the code may be named by a value the block can read.
  auto reachable_only = [&](uint64_t v, const std::string& where) {
    const Mapping* m = mapping_of(maps, v);
    if (!m || m->name == data->name || m->begin == exec->begin) return;
    ADD_FAILURE() << where << " holds 0x" << std::hex << v << ", an address in " << m->name << " (" << m->perms << ")";
  };
  uint64_t seen[2];
  std::memcpy(seen, reinterpret_cast<const void*>(memory.block_rsp()), sizeof seen);
  EXPECT_EQ(seen[0], options.init_value) << "fs:[0] read block memory";
  reachable_only(seen[0], "fs:[0]");
  reachable_only(seen[1], "fs:[0x10]");
  const auto* page = reinterpret_cast<const uint64_t*>(code.context_address());
  for (size_t i = 0; i < 4096 / 8; ++i) reachable_only(page[i], "RunContext word " + std::to_string(i));

  // No writable mapping of the code's memfd: the block cannot patch the
  // calibration code the later blocks are measured against.
  for (const auto& m : maps) {
    if (m.name.find("surrogate-code") != std::string::npos) {
      EXPECT_EQ(m.perms.find('w'), std::string::npos) << m.name;
    }
  }
}

// An attacker who knows the layout exactly (here: the test embeds the
// context page's address) overwrites every word of the block's context page,
// as issue 13's reproducer overwrote the saved rsp there: the run still ends
// where it should and the harness goes on, because no word of that page is
// ever trusted with an address. (The loop counter is left alone: a block
// that sets it runs ~forever and the worker's timeout takes it.)
TEST(Sandbox, OverwritingTheWholeContextPageRedirectsNothing) {
  if (auto why = unsupported_host_reason()) GTEST_SKIP() << *why;
  InProcessRun h;
  CodeBuffer& code = h.code;
  std::vector<uint8_t> block = {0x48, 0xB8};  // movabs rax, context page
  for (int i = 0; i < 8; ++i) block.push_back(static_cast<uint8_t>(code.context_address() >> (8 * i)));
  block.insert(block.end(), {0x48, 0xB9});  // movabs rcx, 0x4141414141414141
  for (int i = 0; i < 8; ++i) block.push_back(0x41);
  for (uint32_t off = 0; off < 4096; off += 8)  // mov [rax + off], rcx
    if (off != offsetof(RunContext, loop_counter))
      block.insert(block.end(), {0x48, 0x89, 0x88, static_cast<uint8_t>(off), static_cast<uint8_t>(off >> 8), 0, 0});
  for (uint64_t iterations : {1, 5}) {
    Fault fault;
    EXPECT_TRUE(h.run(block, iterations, &fault)) << fault.describe();
    EXPECT_EQ(code.context().saved_rsp, 0x4141414141414141u) << "the block did write the page";
  }
}

// Code buffers lie at random addresses, not next to each other where the
// kernel would put them: the block's code cannot compute where the
// harness's returning code and its context (with the saved rsp) are.
TEST(Sandbox, CodeBuffersAreNotNeighbours) {
  CodeBuffer a(8, 64 * 1024), b(2, 64 * 1024);
  const uint64_t distance =
      a.exec_begin() > b.exec_begin() ? a.exec_begin() - b.exec_begin() : b.exec_begin() - a.exec_begin();
  // Random pages in [2^32, 2^46): closer than 1 GiB with probability ~2^-13.
  EXPECT_GT(distance, uint64_t{1} << 30) << std::hex << a.exec_begin() << " " << b.exec_begin();
}

}  // namespace
}  // namespace surrogate::measure

// Which blocks run without the FS switch (FaultGuard::run): only those with
// no byte of an instruction that reads or changes a segment base.
TEST(Sandbox, SegmentBaseUseIsFoundInTheBytes) {
  using B = std::vector<uint8_t>;
  using surrogate::measure::may_touch_segment_bases;
  EXPECT_FALSE(may_touch_segment_bases(B{0x48, 0x01, 0xD8}));                            // add rax, rbx
  EXPECT_FALSE(may_touch_segment_bases(B{0x48, 0x8B, 0x07, 0x0F, 0xAF, 0xC0}));          // mov rax,[rdi]; imul eax,eax
  EXPECT_TRUE(may_touch_segment_bases(B{0x64, 0x48, 0x8B, 0x04, 0x25, 0x28, 0, 0, 0}));  // mov rax, fs:0x28
  EXPECT_TRUE(may_touch_segment_bases(B{0x65, 0x48, 0x8B, 0x07}));                       // mov rax, gs:[rdi]
  EXPECT_TRUE(may_touch_segment_bases(B{0xF3, 0x48, 0x0F, 0xAE, 0xD8}));                 // wrgsbase rax
  EXPECT_TRUE(may_touch_segment_bases(B{0xF3, 0x48, 0x0F, 0xAE, 0xC0}));                 // rdfsbase rax
  EXPECT_TRUE(may_touch_segment_bases(B{0x8E, 0xE8}));                                   // mov gs, eax
  EXPECT_TRUE(may_touch_segment_bases(B{0x0F, 0xA9}));                                   // pop gs
  EXPECT_TRUE(may_touch_segment_bases(B{0x0F, 0xB5, 0x07}));                             // lgs eax, [rdi]
  EXPECT_TRUE(may_touch_segment_bases(B{0x48, 0x83, 0xC0, 0x64}));  // add rax, 0x64: any such byte counts
}
