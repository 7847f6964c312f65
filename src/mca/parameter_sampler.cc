#include "mca/parameter_sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace surrogate::mca {
namespace {

// splitmix64: a small generator with the same stream on every platform.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)); }
};

// The smallest value a field may take from `v`: micro-ops and port cycles
// that LLVM's table has stay >= 1 (values change, the port mapping does not;
// a micro-op count of 0 leaves nothing to dispatch).
double floor_of(double v, const ParameterField& f) {
  const bool keep_one =
      (f.kind == ParameterField::Kind::kMicroOps || f.kind == ParameterField::Kind::kPortCycles) && v >= 1;
  return keep_one ? 1 : static_cast<double>(f.min);
}

double moved(double v, const ParameterField& f, const SamplerOptions& o, Rng& rng) {
  double to;
  if (rng.uniform() < 0.5) {
    const long long step = 1 + static_cast<long long>(rng.below(static_cast<std::size_t>(o.max_step)));
    to = v + (rng.uniform() < 0.5 ? -step : step);
  } else {
    const double log_factor = (2 * rng.uniform() - 1) * std::log(o.max_factor);
    to = std::round(v * std::exp(log_factor));
    if (to == v) to = v + (rng.uniform() < 0.5 ? -1 : 1);
  }
  to = std::clamp(to, floor_of(v, f), static_cast<double>(f.max));
  if (to == v) to = v < static_cast<double>(f.max) ? v + 1 : v - 1;  // at a bound: the other way
  return to;
}

}  // namespace

SampledTable sample_around(const ParameterLayout& layout, std::span<const double> start, const SamplerOptions& o,
                           std::uint64_t seed) {
  const auto& fields = layout.fields();
  if (start.size() != fields.size()) throw std::invalid_argument("sample_around: one start value per field");
  if (o.max_step < 1 || o.max_factor < 1) throw std::invalid_argument("sample_around: max_step >= 1, max_factor >= 1");
  std::vector<std::size_t> globals, others;
  std::vector<std::vector<std::size_t>> rows;  // per-opcode fields grouped by row ("opcodes.NAME.")
  for (std::size_t i = 0; i < fields.size(); ++i) {
    (fields[i].kind == ParameterField::Kind::kGlobal ? globals : others).push_back(i);
    if (fields[i].kind == ParameterField::Kind::kGlobal) continue;
    const std::string& name = fields[i].name;
    const std::string row = name.substr(0, name.find('.', name.find('.') + 1));
    const std::string previous = rows.empty() ? "" : fields[rows.back().front()].name;
    if (rows.empty() || previous.compare(0, row.size() + 1, row + ".") != 0) rows.emplace_back();
    rows.back().push_back(i);
  }
  Rng rng{seed * 0x2545f4914f6cdd1dULL + 1};
  SampledTable t;
  t.values.assign(start.begin(), start.end());
  std::vector<std::size_t> picked;
  if (!others.empty()) {
    // Each per-opcode field with probability p: a binomial count, mean fields_per_table.
    const double p = std::min(1.0, o.fields_per_table / static_cast<double>(others.size()));
    for (std::size_t i : others)
      if (rng.uniform() < p) picked.push_back(i);
  }
  if (!globals.empty() && rng.uniform() < o.global_probability) picked.push_back(globals[rng.below(globals.size())]);
  if (picked.empty())
    picked.push_back(others.empty() ? globals[rng.below(globals.size())] : others[rng.below(others.size())]);
  for (std::size_t i : picked) t.values[i] = moved(start[i], fields[i], o, rng);
  if (!rows.empty() && rng.uniform() < o.row_probability) {
    const std::vector<std::size_t>& row = rows[rng.below(rows.size())];
    const double factor = std::exp((2 * rng.uniform() - 1) * std::log(o.max_factor));
    for (std::size_t i : row) {
      const ParameterField& f = fields[i];
      t.values[i] = std::clamp(std::round(start[i] * factor), floor_of(start[i], f), static_cast<double>(f.max));
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (t.values[i] != start[i]) t.changed.push_back(i);
  return t;
}

std::vector<std::pair<double, double>> sampler_reach(const ParameterLayout& layout, std::span<const double> start,
                                                     const SamplerOptions& o) {
  std::vector<std::pair<double, double>> reach;
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const ParameterField& f = layout.fields()[i];
    const double v = start[i];
    // The extremes of both moves (a rounded factor move reaches at least +-1).
    const double a = std::round(v / o.max_factor), b = std::round(v * o.max_factor);  // b < a when v < 0
    const double lo = std::min({v - static_cast<double>(o.max_step), a, b, v - 1});
    const double hi = std::max({v + static_cast<double>(o.max_step), a, b, v + 1});
    reach.push_back({std::max(lo, floor_of(v, f)), std::min(hi, static_cast<double>(f.max))});
  }
  return reach;
}

}  // namespace surrogate::mca
