#include "measure/repetition_trace.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "util/hex.h"

namespace surrogate::measure {
namespace {

void write_line(const std::string& line) {
  for (size_t done = 0; done < line.size();) {
    const ssize_t w = ::write(2, line.data() + done, line.size() - done);
    if (w <= 0) return;  // a diagnostic: never the measurement's failure
    done += static_cast<size_t>(w);
  }
}

}  // namespace

void RepetitionTrace::line(const char* kind, std::span<const uint8_t> block, const char* rest) const {
  std::string text = std::string(kind) + "," + pid_ + ",";
  util::append_hex(text, block.data(), block.size());
  write_line(text + rest);
}

RepetitionTrace::RepetitionTrace() {
  const char* v = std::getenv("SURROGATE_MEASURE_TRACE");
  on_ = v != nullptr && *v != '\0';
  pid_ = std::to_string(getpid());  // here: the worker's seccomp filter has no getpid
  if (on_) write_line("worker," + pid_ + "," + std::to_string(sched_getcpu()) + "\n");
}

void RepetitionTrace::repetition(std::span<const uint8_t> block, const RepetitionRecord& r) const {
  if (!on_) return;
  char buf[400];
  std::snprintf(buf, sizeof buf, ",%u,%u,%u,%llu,%.5f,%.5f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s,%.3f,%.3f,%.4f\n",
                r.attempt, r.unroll_a, r.unroll_b, static_cast<unsigned long long>(r.iterations), r.calibration_before,
                r.calibration_after, r.imul, r.zero_idioms, r.loads, r.cycles_a, r.cycles_b, r.difference, r.verdict,
                r.zero_idioms_loop, r.loads_loop, r.alu);
  line("repetition", block, buf);
}

void RepetitionTrace::block(std::span<const uint8_t> block, uint32_t attempts, uint32_t clean,
                            double throughput) const {
  if (!on_) return;
  char buf[100];
  if (throughput >= 0)
    std::snprintf(buf, sizeof buf, ",%u,%u,%.2f\n", attempts, clean, throughput);
  else
    std::snprintf(buf, sizeof buf, ",%u,%u,\n", attempts, clean);
  line("block", block, buf);
}

}  // namespace surrogate::measure
