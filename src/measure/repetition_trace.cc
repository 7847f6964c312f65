#include "measure/repetition_trace.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace surrogate::measure {
namespace {

std::string hex_of(std::span<const uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * bytes.size());
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

void write_line(const std::string& line) {
  for (size_t done = 0; done < line.size();) {
    const ssize_t w = ::write(2, line.data() + done, line.size() - done);
    if (w <= 0) return;  // a diagnostic: never the measurement's failure
    done += static_cast<size_t>(w);
  }
}

}  // namespace

RepetitionTrace::RepetitionTrace() {
  const char* v = std::getenv("SURROGATE_MEASURE_TRACE");
  on_ = v != nullptr && *v != '\0';
  pid_ = std::to_string(getpid());  // here: the worker's seccomp filter has no getpid
}

void RepetitionTrace::repetition(std::span<const uint8_t> block, const RepetitionRecord& r) const {
  if (!on_) return;
  char buf[400];
  std::snprintf(buf, sizeof buf, ",%u,%u,%u,%llu,%.5f,%.5f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s\n", r.attempt, r.unroll_a,
                r.unroll_b, static_cast<unsigned long long>(r.iterations), r.calibration_before, r.calibration_after,
                r.imul, r.zero_idioms, r.loads, r.cycles_a, r.cycles_b, r.difference, r.verdict);
  write_line("repetition," + pid_ + "," + hex_of(block) + buf);
}

void RepetitionTrace::block(std::span<const uint8_t> block, uint32_t attempts, uint32_t clean,
                            double throughput) const {
  if (!on_) return;
  char buf[100];
  if (throughput >= 0)
    std::snprintf(buf, sizeof buf, ",%u,%u,%.2f\n", attempts, clean, throughput);
  else
    std::snprintf(buf, sizeof buf, ",%u,%u,\n", attempts, clean);
  write_line("block," + pid_ + "," + hex_of(block) + buf);
}

}  // namespace surrogate::measure
