// Test data of tuning: a scratch directory, and "measurements" made by the
// simulator itself under a hidden change of one CPU parameter (haswell's
// IMUL64rr latency 3 -> 7), which a tuner should find and move back.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "apps/tuning.h"
#include "block/decoder.h"
#include "mca/parameter_vector.h"
#include "mca/simulator.h"
#include "util/atomic_file.h"
#include "util/scratch_dir_test_support.h"
#include "util/hex.h"

namespace surrogate::apps {

struct Scratch : util::ScratchDir {
  Scratch() : util::ScratchDir("surrogate_tune_") {}
};

constexpr const char* kHiddenField = "opcodes.IMUL64rr.latency[0]";
constexpr double kHiddenLatency = 7;  // haswell's own: 3

// 400 distinct blocks of 1-6 instructions drawn from a few integer ones
// (dependent and independent imul, add, load, xor), labelled by the
// simulator under haswell with IMUL64rr's latency set to kHiddenLatency;
// another seed draws other blocks (some the same).
inline void write_measurements(const std::string& path, unsigned seed = 1) {
  const std::vector<std::vector<std::uint8_t>> instructions = {
      {0x48, 0x0f, 0xaf, 0xc0},  // imul rax, rax
      {0x48, 0x0f, 0xaf, 0xca},  // imul rcx, rdx
      {0x48, 0x01, 0xd8},        // add rax, rbx
      {0x48, 0x01, 0xc1},        // add rcx, rax
      {0x48, 0x8b, 0x0f},        // mov rcx, [rdi]
      {0x48, 0x31, 0xd6},        // xor rsi, rdx
  };
  mca::CpuParams hidden = mca::CpuParams::stock("haswell");
  const mca::ParameterLayout layout(hidden);
  std::vector<double> values = layout.values(hidden);
  values[*layout.find(kHiddenField)] = kHiddenLatency;
  hidden = layout.apply(hidden, values);
  const mca::Simulator simulator(hidden);
  block::Decoder decoder;
  std::mt19937 random(seed);
  std::set<std::vector<std::uint8_t>> seen;
  std::string csv = "hex,throughput\n";
  while (seen.size() < 400) {
    std::vector<std::uint8_t> bytes;
    const int n = 1 + static_cast<int>(random() % 6);
    for (int i = 0; i < n; ++i) {
      const auto& inst = instructions[random() % instructions.size()];
      bytes.insert(bytes.end(), inst.begin(), inst.end());
    }
    if (!seen.insert(bytes).second) continue;
    const block::BasicBlock b = decoder.decode_block(bytes, "test", {}, nullptr);
    csv += util::to_hex(bytes) + "," + std::to_string(simulator.throughput(b)) + "\n";
  }
  util::write_file_atomically(path, csv);
}

// Options that tune the hidden-latency measurements of `s` on haswell.
inline TuneOptions options_for(const Scratch& s) {
  TuneOptions o;
  o.cpu = "haswell";
  o.measured = s.path("measured.csv");
  o.output = s.path("tuned.json");
  o.min_support = 20;
  o.penalty = 0.01;
  o.jobs = 2;
  return o;
}

}  // namespace surrogate::apps
