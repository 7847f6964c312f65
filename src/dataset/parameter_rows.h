// How a parameter-conditioned surrogate sees a CPU parameter table: for each
// instruction of a block, one row of P numbers (its opcode's micro-ops,
// latencies, cycles on every resource of the model, ReadAdvance cycles), and
// G global numbers (the layout's global fields), each divided by a fixed
// scale so that typical values are near 1.
//
// A slot of a row either is a field of the layout (it moves with the values
// being sampled or tuned) or holds the table's fixed value. Both are read by
// index from one vector X = [layout values..., constants()...], so the same
// gather gives a training sample's rows (values of a sampled table) and the
// tuner's rows (a tensor of values with gradients, nn::gather). Row slots:
//   0 micro-ops / 4, 1-2 latency[0..1] / 8, 3.. cycles on resource r =
//   1..R-1 / 4, then read_advance[0..2] / 4; a missing entry is 0. Opcodes
//   without a row of their own (variant classes) have a row of zeros.
// Globals: value / max(1, the table's value), so 1 at the starting table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "block/basic_block.h"
#include "mca/cpu_params.h"
#include "mca/parameter_vector.h"

namespace surrogate::dataset {

class ParameterRows {
 public:
  // `table`: the values of the slots that are not layout fields, and the
  // global scales; `layout`: the fields that move (of table's model).
  ParameterRows(const mca::CpuParams& table, const mca::ParameterLayout& layout);

  std::size_t width() const { return width_; }                  // P
  std::size_t global_count() const { return globals_.size(); }  // G
  std::size_t field_count() const { return fields_; }           // n: X's first n entries are the layout's values
  // X's entries after the layout values (grows as new opcodes are gathered).
  const std::vector<double>& constants() const { return constants_; }
  // Per slot of a row: the divisor. Per global: the divisor, and the layout field it reads.
  const std::vector<float>& scale() const { return scale_; }
  const std::vector<float>& global_scale() const { return global_scale_; }
  const std::vector<std::int32_t>& global_fields() const { return globals_; }

  // The block's rows as indices into X: instructions x width() entries.
  // Not thread-safe (learns the constants of new opcodes).
  std::vector<std::int32_t> gather(const block::BasicBlock& block);

  // Rows and globals under `values` (one per layout field).
  std::vector<float> rows(std::span<const std::int32_t> gather, std::span<const double> values) const;
  std::vector<float> globals(std::span<const double> values) const;

 private:
  const std::vector<std::int32_t>& opcode_row(unsigned opcode);
  std::int32_t constant(double value);

  const mca::CpuParams* table_;
  const mca::ParameterLayout* layout_;
  std::size_t width_ = 0, fields_ = 0, resources_ = 0;
  std::vector<double> constants_;
  std::map<double, std::int32_t> constant_index_;
  std::map<unsigned, std::vector<std::int32_t>> opcode_rows_;
  std::vector<float> scale_, global_scale_;
  std::vector<std::int32_t> globals_;
};

}  // namespace surrogate::dataset
