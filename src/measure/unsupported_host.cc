// Built instead of the harness where the target is not x86-64: the measure
// layer's entry points exist and refuse with the reason (compile-time guard;
// unsupported_host_reason() is the run-time one).
#if defined(__x86_64__)
#error "unsupported_host.cc is for non-x86-64 builds only"
#endif

#include <stdexcept>

#include "measure/harness.h"
#include "measure/host_info.h"
#include "measure/measure_job.h"

namespace surrogate::measure {

Harness::Harness(Options options) : options_(std::move(options)) {
  throw std::runtime_error(*unsupported_host_reason());
}

std::vector<Measurement> Harness::measure(const std::vector<std::vector<uint8_t>>&, const ResultCallback&,
                                          const std::atomic<bool>*) {
  throw std::runtime_error(*unsupported_host_reason());
}

std::string job_fingerprint(const std::vector<JobBlock>&, const Options&) { return "unsupported"; }

JobSummary run_measure_job(const std::vector<JobBlock>&, const Options&, const JobOptions&, std::ostream&) {
  throw std::runtime_error(*unsupported_host_reason());
}

}  // namespace surrogate::measure
