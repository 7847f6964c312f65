#include "measure/recent_repetitions.h"

#include <stdexcept>
#include <vector>

#include "measure/estimate.h"

namespace surrogate::measure {

CanaryCycles stretch_baseline(const CanaryCycles& own, const CanaryCycles& run, const CanaryCycles& record,
                              double record_bound) {
  return lower_of(lower_of(own, run), scaled(record, record_bound));
}

RecentRepetitions::RecentRepetitions(size_t capacity) : capacity_(capacity) {
  if (capacity_ == 0) throw std::invalid_argument("RecentRepetitions: capacity must be positive");
}

void RecentRepetitions::add(const CanaryCycles& ratio) {
  if (held_.size() == capacity_) held_.pop_front();
  held_.push_back(ratio);
}

CanaryCycles RecentRepetitions::median() const {
  if (held_.empty()) return {};
  std::vector<double> zero_idioms, loads;
  zero_idioms.reserve(held_.size());
  loads.reserve(held_.size());
  for (const CanaryCycles& r : held_) {
    zero_idioms.push_back(r.zero_idioms);
    loads.push_back(r.loads);
  }
  return {measure::median(std::move(zero_idioms)), measure::median(std::move(loads))};
}

std::optional<CanaryCycles> RecentRepetitions::stretch(double tolerance) const {
  if (2 * held_.size() < capacity_) return std::nullopt;
  const CanaryCycles m = median();
  if (names_stretch(m, tolerance)) return m;
  return std::nullopt;
}

void RecentRepetitions::add_unrolling(bool over_ratio) {
  if (over_ratio_.size() == capacity_) {
    over_ -= over_ratio_.front();
    over_ratio_.pop_front();
  }
  over_ratio_.push_back(over_ratio);
  over_ += over_ratio;
}

std::optional<double> RecentRepetitions::code_mode(double share) const {
  if (2 * over_ratio_.size() < capacity_) return std::nullopt;
  const double s = static_cast<double>(over_) / static_cast<double>(over_ratio_.size());
  if (s > share) return s;
  return std::nullopt;
}

}  // namespace surrogate::measure
