#include "apps/table_samples.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "block/x86_target.h"
#include "mca/simulator.h"
#include "util/parallel.h"

namespace surrogate::apps {

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<std::vector<std::uint32_t>> blocks_per_field(const mca::ParameterLayout& layout,
                                                         std::span<const block::BasicBlock> blocks) {
  std::map<unsigned, std::vector<std::uint32_t>> blocks_of_opcode;
  for (std::uint32_t b = 0; b < blocks.size(); ++b) {
    std::set<unsigned> seen;
    for (const llvm::MCInst& inst : blocks[b].instructions)
      if (seen.insert(inst.getOpcode()).second) blocks_of_opcode[inst.getOpcode()].push_back(b);
  }
  const block::X86Target& x86 = block::X86Target::get();
  std::vector<std::vector<std::uint32_t>> affected;
  for (const mca::ParameterField& f : layout.fields()) {
    if (f.kind == mca::ParameterField::Kind::kGlobal) {
      affected.emplace_back();
      continue;
    }
    // "opcodes.NAME.field"
    const std::size_t dot = f.name.find('.', 8);
    const int opcode = x86.find_opcode(f.name.substr(8, dot - 8));
    const auto it = opcode < 0 ? blocks_of_opcode.end() : blocks_of_opcode.find(static_cast<unsigned>(opcode));
    affected.push_back(it == blocks_of_opcode.end() ? std::vector<std::uint32_t>{} : it->second);
  }
  return affected;
}

std::set<unsigned> opcodes_of(std::span<const block::BasicBlock> blocks) {
  std::set<unsigned> opcodes;
  for (const block::BasicBlock& b : blocks)
    for (const llvm::MCInst& inst : b.instructions) opcodes.insert(inst.getOpcode());
  return opcodes;
}

std::set<unsigned> supported_opcodes(const mca::CpuParams& stock, std::span<const block::BasicBlock> blocks,
                                     std::size_t min_support) {
  std::map<unsigned, std::size_t> support;
  for (const block::BasicBlock& b : blocks)
    for (unsigned opcode : opcodes_of(std::span<const block::BasicBlock>(&b, 1))) ++support[opcode];
  std::set<unsigned> supported;
  for (const auto& [opcode, count] : support)
    if (count >= min_support && stock.opcodes.count(opcode)) supported.insert(opcode);
  return supported;
}

std::vector<SimulatedTable> simulate_sampled_tables(const mca::CpuParams& stock, const mca::ParameterLayout& layout,
                                                    std::span<const double> centre, const mca::SamplerOptions& sampler,
                                                    std::size_t count, std::size_t blocks_per_table,
                                                    std::span<const block::BasicBlock> blocks,
                                                    const std::vector<std::vector<std::uint32_t>>& affected,
                                                    std::uint64_t seed, unsigned jobs) {
  std::vector<SimulatedTable> tables(count);
  for (std::size_t t = 0; t < count; ++t)
    tables[t].table = mca::sample_around(layout, centre, sampler, mix_seed(seed, t));
  util::parallel_for(count, jobs, [&](std::size_t t, unsigned) {
    std::set<std::uint32_t> reached;
    bool every = false;
    for (std::size_t f : tables[t].table.changed) {
      if (layout.fields()[f].kind == mca::ParameterField::Kind::kGlobal) every = true;
      reached.insert(affected[f].begin(), affected[f].end());
    }
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
    if (every)
      for (std::uint32_t b = 0; b < blocks.size(); ++b) keyed.push_back({mix_seed(seed + t, b), b});
    else
      for (std::uint32_t b : reached) keyed.push_back({mix_seed(seed + t, b), b});
    const std::size_t keep = std::min(keyed.size(), blocks_per_table);
    std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(keep), keyed.end());
    const mca::Simulator sim(layout.apply(stock, tables[t].table.values));
    for (std::size_t k = 0; k < keep; ++k) {
      try {
        const double c = sim.throughput(blocks[keyed[k].second]);
        tables[t].cycles.push_back({keyed[k].second, static_cast<float>(c)});
      } catch (const mca::SimulationError&) {
      }
    }
    std::sort(tables[t].cycles.begin(), tables[t].cycles.end());
  });
  return tables;
}

}  // namespace surrogate::apps
