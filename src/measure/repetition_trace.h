// A diagnostic record of every repetition `measure` times, for finding how a
// disturbance passes the checks (BENCHMARKS.md sections 36-38 were made from
// it). Off unless SURROGATE_MEASURE_TRACE is set and not empty; then each
// worker writes one CSV line per repetition and one per block to its stderr
// (the one file descriptor its seccomp filter lets it write besides its
// socket), each line in one write(2) so that workers' lines do not interleave:
//
//   repetition,PID,HEX,ATTEMPT,UA,UB,ITERATIONS,CAL_BEFORE,CAL_AFTER,IMUL,
//     ZERO_IDIOMS,LOADS,L_A,L_B,DIFFERENCE,VERDICT,ZERO_IDIOMS_LOOP,LOADS_LOOP,
//     ALU
//   block,PID,HEX,ATTEMPTS,CLEAN,THROUGHPUT_OR_EMPTY
//   worker,PID,CPU    (once, when the worker starts: the CPU it runs on)
//
// CAL_* in TSC ticks per reference cycle; IMUL, the canaries and DIFFERENCE
// ((L_b - L_a) / ((b - a) ITERATIONS)) in core cycles per iteration, L_A and
// L_B in core cycles per run (ITERATIONS loops of UA or UB copies), all by
// the repetition's own calibration (the mean of the two); VERDICT is `clean`
// or the first check that flagged the repetition; *_LOOP each canary's loop
// cost per iteration outside its copies (estimate.h, unrolled_intercept), in
// core cycles; ALU a third canary timed only for the trace (twelve
// independent adds, cycles per iteration; BlockTimer). THROUGHPUT in cycles
// per 100 iterations.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace surrogate::measure {

struct RepetitionRecord {
  uint32_t attempt = 0, unroll_a = 0, unroll_b = 0;
  uint64_t iterations = 0;
  double calibration_before = 0, calibration_after = 0;  // TSC ticks per cycle
  double imul = 0, zero_idioms = 0, loads = 0;           // cycles per iteration
  double cycles_a = 0, cycles_b = 0;                     // cycles per run
  double difference = 0;                                 // cycles per iteration
  const char* verdict = "clean";
  double zero_idioms_loop = 0, loads_loop = 0;  // cycles per iteration
  double alu = 0;                               // cycles per iteration
};

class RepetitionTrace {
 public:
  RepetitionTrace();  // reads SURROGATE_MEASURE_TRACE, writes the worker line; before the seccomp filter
  bool on() const { return on_; }
  void repetition(std::span<const uint8_t> block, const RepetitionRecord& r) const;
  // throughput < 0: not measured.
  void block(std::span<const uint8_t> block, uint32_t attempts, uint32_t clean, double throughput) const;

 private:
  // Writes KIND,PID,HEX then `rest` (which starts with a comma and ends the line).
  void line(const char* kind, std::span<const uint8_t> block, const char* rest) const;
  bool on_ = false;
  std::string pid_;
};

}  // namespace surrogate::measure
