// ParameterLayout: a CpuParams seen as a flat vector of named integers, the
// view DiffTune learns (per-opcode micro-ops, latency per defined value,
// cycles on each port or port group, ReadAdvance cycles; global dispatch
// width, buffer and queue sizes), with each field's valid range.
//
// A layout is made from one table (which rows, latencies, port entries and
// read advances exist) and then maps any table of the same CPU model to
// values and back: apply(base, values(base)) == base for every CPU (tested).
// Field names are the params file's JSON paths
// (cpu_params_json.h): "global.dispatch_width", "opcodes.IMUL64rr.micro_ops",
// "opcodes.IMUL64rr.latency[0]", "opcodes.IMUL64rr.ports.HWPort1",
// "opcodes.IMUL64rr.read_advance[0]", "classes.WriteALU.latency[0]".
// Units: cycles, micro-ops, entries, as in cpu_params.h. Port cycles of 0
// mean the micro-op does not use that resource (the entry is dropped).
// Rows stored as LLVM's expanded port entries (`ports_expanded`) expose no
// port fields. Thread safety: const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "mca/cpu_params.h"

namespace surrogate::mca {

struct ParameterField {
  enum class Kind { kGlobal, kMicroOps, kLatency, kPortCycles, kReadAdvance };
  std::string name;
  Kind kind = Kind::kGlobal;
  long long min = 0, max = 0;  // valid integer range, inclusive (cpu_params.h)
};

struct LayoutOptions {
  bool globals = true;  // the global fields llvm-mca reads
  bool classes = true;  // rows of the classes variant opcodes resolve to
  // Only these opcodes' rows (e.g. the opcodes of a data set); nullopt: all.
  std::optional<std::set<unsigned>> opcodes;
  // A port-cycles field for every resource of the model on every row, not
  // only the resources the row uses (their value is 0): lets a learner move a
  // micro-op to another port.
  bool every_resource = false;
};

class ParameterLayout {
 public:
  explicit ParameterLayout(const CpuParams& params, const LayoutOptions& options = {});

  const std::vector<ParameterField>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }
  const std::string& sched_model() const { return sched_model_; }
  // Identity of the layout (model and field names), for data sets whose
  // rows refer to fields by index (dataset/label_store.h ParameterSet):
  // "HW 81819 fields <16 hex digits>".
  std::string fingerprint() const;
  // Index of the field with this name, or nullopt.
  std::optional<std::size_t> find(const std::string& name) const;

  // The table's values, one per field. Throws std::invalid_argument when
  // `params` is of another CPU model or lacks a row of the layout.
  std::vector<double> values(const CpuParams& params) const;
  // `base` with the fields set to `values`. Throws std::invalid_argument
  // naming the first field whose value is not an integer in its range (or a
  // wrong count); no silent clamping.
  CpuParams apply(const CpuParams& base, std::span<const double> values) const;
  // The nearest valid values: rounded to integers, clamped to each range
  // (what a learner does before writing its values back).
  std::vector<double> project(std::span<const double> values) const;

 private:
  struct Target {
    bool is_class = false;
    unsigned row = 0;    // opcode, or class index
    unsigned index = 0;  // latency / read advance index, resource index, or global field
  };
  std::vector<ParameterField> fields_;
  std::vector<Target> targets_;
  std::string sched_model_;
};

}  // namespace surrogate::mca
