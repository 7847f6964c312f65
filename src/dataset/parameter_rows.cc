#include "dataset/parameter_rows.h"

#include <algorithm>
#include <string>

#include "block/x86_target.h"

namespace surrogate::dataset {
namespace {
constexpr std::size_t kLatencies = 2, kReadAdvances = 3;
constexpr float kMicroOpScale = 4, kLatencyScale = 8, kPortScale = 4, kReadAdvanceScale = 4;
}  // namespace

ParameterRows::ParameterRows(const mca::CpuParams& table, const mca::ParameterLayout& layout)
    : table_(&table), layout_(&layout), fields_(layout.size()) {
  resources_ = table.resources.empty() ? 0 : table.resources.size() - 1;
  width_ = 1 + kLatencies + resources_ + kReadAdvances;
  scale_.push_back(kMicroOpScale);
  scale_.insert(scale_.end(), kLatencies, kLatencyScale);
  scale_.insert(scale_.end(), resources_, kPortScale);
  scale_.insert(scale_.end(), kReadAdvances, kReadAdvanceScale);
  const std::vector<double> start = layout.values(table);
  for (std::size_t i = 0; i < layout.size(); ++i)
    if (layout.fields()[i].kind == mca::ParameterField::Kind::kGlobal) {
      globals_.push_back(static_cast<std::int32_t>(i));
      global_scale_.push_back(static_cast<float>(std::max(1.0, start[i])));
    }
  constant(0);
}

std::int32_t ParameterRows::constant(double value) {
  auto [it, added] = constant_index_.emplace(value, static_cast<std::int32_t>(fields_ + constants_.size()));
  if (added) constants_.push_back(value);
  return it->second;
}

const std::vector<std::int32_t>& ParameterRows::opcode_row(unsigned opcode) {
  auto found = opcode_rows_.find(opcode);
  if (found != opcode_rows_.end()) return found->second;
  std::vector<std::int32_t> row(width_, constant(0));
  auto it = table_->opcodes.find(opcode);
  if (it != table_->opcodes.end()) {
    const mca::SchedRow& r = it->second;
    const std::string prefix = "opcodes." + block::X86Target::get().opcode_name(opcode) + ".";
    auto slot = [&](std::size_t s, const std::string& name, double value) {
      const auto field = layout_->find(prefix + name);
      row[s] = field ? static_cast<std::int32_t>(*field) : constant(value);
    };
    slot(0, "micro_ops", r.micro_ops);
    for (std::size_t i = 0; i < std::min(kLatencies, r.latencies.size()); ++i)
      slot(1 + i, "latency[" + std::to_string(i) + "]", r.latencies[i].cycles);
    if (!r.ports_expanded)
      for (const auto& [resource, cycles] : r.ports)
        if (resource >= 1 && resource <= resources_)
          slot(1 + kLatencies + resource - 1, "ports." + table_->resources[resource].name, cycles.cycles);
    for (std::size_t i = 0; i < std::min(kReadAdvances, r.read_advances.size()); ++i)
      slot(1 + kLatencies + resources_ + i, "read_advance[" + std::to_string(i) + "]", r.read_advances[i].cycles);
  }
  return opcode_rows_.emplace(opcode, std::move(row)).first->second;
}

std::vector<std::int32_t> ParameterRows::gather(const block::BasicBlock& block) {
  std::vector<std::int32_t> out;
  out.reserve(block.instructions.size() * width_);
  for (const llvm::MCInst& inst : block.instructions) {
    const std::vector<std::int32_t>& row = opcode_row(inst.getOpcode());
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

std::vector<float> ParameterRows::rows(std::span<const std::int32_t> gather, std::span<const double> values) const {
  std::vector<float> out(gather.size());
  for (std::size_t k = 0; k < gather.size(); ++k) {
    const std::size_t x = static_cast<std::size_t>(gather[k]);
    const double v = x < fields_ ? values[x] : constants_[x - fields_];
    out[k] = static_cast<float>(v) / scale_[k % width_];
  }
  return out;
}

std::vector<float> ParameterRows::globals(std::span<const double> values) const {
  std::vector<float> out;
  for (std::size_t g = 0; g < globals_.size(); ++g)
    out.push_back(static_cast<float>(values[static_cast<std::size_t>(globals_[g])]) / global_scale_[g]);
  return out;
}

}  // namespace surrogate::dataset
