#include "mca/parameter_vector.h"

#include <cmath>
#include <stdexcept>

#include "block/x86_target.h"
#include "util/result_journal.h"

namespace surrogate::mca {
namespace {

// The global fields llvm-mca's pipeline reads, with their lower bounds.
struct GlobalField {
  const char* name;
  unsigned GlobalParams::* member;
  long long min;
};
constexpr GlobalField kGlobals[] = {
    {"dispatch_width", &GlobalParams::dispatch_width, 1},
    {"micro_op_buffer_size", &GlobalParams::micro_op_buffer_size, 0},
    {"reorder_buffer_size", &GlobalParams::reorder_buffer_size, 0},
    {"max_retire_per_cycle", &GlobalParams::max_retire_per_cycle, 0},
    {"load_queue_size", &GlobalParams::load_queue_size, 0},
    {"store_queue_size", &GlobalParams::store_queue_size, 0},
    {"micro_op_queue_size", &GlobalParams::micro_op_queue_size, 0},
    {"decoder_throughput", &GlobalParams::decoder_throughput, 0},
};

const SchedRow& row_of(const CpuParams& p, bool is_class, unsigned row, const std::string& field) {
  if (is_class) {
    if (row >= p.classes.size()) throw std::invalid_argument(field + ": no such class row in " + p.cpu);
    return p.classes[row];
  }
  auto it = p.opcodes.find(row);
  if (it == p.opcodes.end()) throw std::invalid_argument(field + ": no such opcode row in " + p.cpu);
  return it->second;
}

}  // namespace

ParameterLayout::ParameterLayout(const CpuParams& p, const LayoutOptions& options) : sched_model_(p.sched_model) {
  using Kind = ParameterField::Kind;
  auto add = [&](std::string name, Kind kind, long long min, long long max, Target t) {
    fields_.push_back({std::move(name), kind, min, max});
    targets_.push_back(t);
  };
  if (options.globals)
    for (unsigned g = 0; g < std::size(kGlobals); ++g)
      add(std::string("global.") + kGlobals[g].name, Kind::kGlobal, kGlobals[g].min, kMaxGlobal, {false, 0, g});

  auto add_row = [&](const std::string& prefix, const SchedRow& row, bool is_class, unsigned id) {
    add(prefix + ".micro_ops", Kind::kMicroOps, 0, kMaxMicroOps, {is_class, id, 0});
    for (unsigned i = 0; i < row.latencies.size(); ++i)
      add(prefix + ".latency[" + std::to_string(i) + "]", Kind::kLatency, 0, kMaxLatency, {is_class, id, i});
    if (!row.ports_expanded)
      for (unsigned r = 1; r < p.resources.size(); ++r)
        if (row.ports.count(r) || options.every_resource)
          add(prefix + ".ports." + p.resources[r].name, Kind::kPortCycles, 0, kMaxPortCycles, {is_class, id, r});
    for (unsigned i = 0; i < row.read_advances.size(); ++i)
      add(prefix + ".read_advance[" + std::to_string(i) + "]", Kind::kReadAdvance, -kMaxReadAdvance, kMaxReadAdvance,
          {is_class, id, i});
  };
  const block::X86Target& x86 = block::X86Target::get();
  for (const auto& [opcode, row] : p.opcodes)
    if (!options.opcodes || options.opcodes->count(opcode))
      add_row("opcodes." + x86.opcode_name(opcode), row, false, opcode);
  if (options.classes) {
    std::vector<std::string> keys = class_keys(p);
    for (unsigned c = 0; c < p.classes.size(); ++c)
      if (p.class_is_valid[c] && !p.class_is_variant[c]) add_row("classes." + keys[c], p.classes[c], true, c);
  }
}

std::string ParameterLayout::fingerprint() const {
  std::string names;
  for (const ParameterField& f : fields_) names += f.name + "\n";
  return sched_model_ + " " + std::to_string(fields_.size()) + " fields " + util::fingerprint_of(names);
}

std::optional<std::size_t> ParameterLayout::find(const std::string& name) const {
  for (std::size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].name == name) return i;
  return std::nullopt;
}

std::vector<double> ParameterLayout::values(const CpuParams& p) const {
  using Kind = ParameterField::Kind;
  if (p.sched_model != sched_model_)
    throw std::invalid_argument("parameters of " + p.sched_model + " given to a layout of " + sched_model_);
  std::vector<double> v(fields_.size());
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const Target& t = targets_[i];
    const ParameterField& f = fields_[i];
    if (f.kind == Kind::kGlobal) {
      v[i] = p.global.*kGlobals[t.index].member;
      continue;
    }
    const SchedRow& row = row_of(p, t.is_class, t.row, f.name);
    switch (f.kind) {
      case Kind::kMicroOps:
        v[i] = row.micro_ops;
        break;
      case Kind::kLatency:
        if (t.index >= row.latencies.size()) throw std::invalid_argument(f.name + ": the row has no such latency");
        v[i] = row.latencies[t.index].cycles;
        break;
      case Kind::kPortCycles: {
        auto it = row.ports.find(t.index);
        v[i] = it == row.ports.end() ? 0 : it->second.cycles;
        break;
      }
      case Kind::kReadAdvance:
        if (t.index >= row.read_advances.size()) throw std::invalid_argument(f.name + ": the row has no such read");
        v[i] = row.read_advances[t.index].cycles;
        break;
      case Kind::kGlobal:
        break;
    }
  }
  return v;
}

CpuParams ParameterLayout::apply(const CpuParams& base, std::span<const double> v) const {
  using Kind = ParameterField::Kind;
  if (v.size() != fields_.size())
    throw std::invalid_argument(std::to_string(v.size()) + " values for a layout of " + std::to_string(fields_.size()) +
                                " fields");
  std::vector<double> current = values(base);  // also checks the model and the rows
  CpuParams p = base;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const ParameterField& f = fields_[i];
    if (v[i] == current[i]) continue;
    if (!(std::nearbyint(v[i]) == v[i]) || v[i] < f.min || v[i] > f.max)
      throw std::invalid_argument(f.name + ": " + std::to_string(v[i]) + " is not an integer in [" +
                                  std::to_string(f.min) + ", " + std::to_string(f.max) + "]");
    const Target& t = targets_[i];
    if (f.kind == Kind::kGlobal) {
      p.global.*kGlobals[t.index].member = static_cast<unsigned>(v[i]);
      continue;
    }
    SchedRow& row = t.is_class ? p.classes[t.row] : p.opcodes.at(t.row);
    switch (f.kind) {
      case Kind::kMicroOps:
        row.micro_ops = static_cast<unsigned>(v[i]);
        break;
      case Kind::kLatency:
        row.latencies[t.index].cycles = static_cast<std::int16_t>(v[i]);
        break;
      case Kind::kPortCycles:
        if (v[i] == 0)
          row.ports.erase(t.index);
        else
          row.ports[t.index].cycles = static_cast<std::uint16_t>(v[i]);
        break;
      case Kind::kReadAdvance:
        row.read_advances[t.index].cycles = static_cast<int>(v[i]);
        break;
      case Kind::kGlobal:
        break;
    }
  }
  return p;
}

std::vector<double> ParameterLayout::project(std::span<const double> v) const {
  if (v.size() != fields_.size())
    throw std::invalid_argument(std::to_string(v.size()) + " values for a layout of " + std::to_string(fields_.size()) +
                                " fields");
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double x = std::isnan(v[i]) ? static_cast<double>(fields_[i].min) : std::nearbyint(v[i]);
    out[i] = std::clamp(x, static_cast<double>(fields_[i].min), static_cast<double>(fields_[i].max));
  }
  return out;
}

}  // namespace surrogate::mca
