#include "measure/pass_result.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "measure/estimate.h"

namespace surrogate::measure {

bool worth_another_pass(const Measurement& m) { return m.measured() || m.reason.rfind("disturbed", 0) == 0; }

std::vector<double> figures_of(const std::vector<Measurement>& passes) {
  std::vector<double> figures;
  for (const Measurement& p : passes)
    if (p.measured()) figures.push_back(*p.throughput);
  return figures;
}

bool lone_pass(const std::vector<Measurement>& passes, size_t measured, uint32_t required) {
  return required >= 2 && measured == 1 && passes.size() >= 2;
}

Measurement result_of_passes(const std::vector<Measurement>& passes, const std::vector<pid_t>& pids,
                             uint32_t required) {
  const std::vector<double> figures = figures_of(passes);
  Measurement out = passes.back();
  if (lone_pass(passes, figures.size(), required)) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "disturbed by other load: one of %zu passes measured (%.2f cycles per 100 iterations), no second "
                  "pass confirms it",
                  passes.size(), figures.front());
    out = Measurement{};
    out.reason = buf;
  } else if (!figures.empty()) {
    const double figure = pass_figure(figures, kTwoModeGap, kModeAgreement);
    if (std::isnan(figure)) {
      out = Measurement{};
      out.reason = "disturbed by other load: no second pass confirms the fastest (cycles per 100 iterations:";
      char buf[32];
      for (double f : figures) {
        std::snprintf(buf, sizeof buf, " %.2f", f);
        out.reason += buf;
      }
      out.reason += ")";
    } else {
      // The fastest pass stands for the block (its calibration, canaries,
      // unroll factors); its throughput is the passes' figure.
      out = *std::min_element(passes.begin(), passes.end(), [](const Measurement& x, const Measurement& y) {
        return x.measured() && (!y.measured() || *x.throughput < *y.throughput);
      });
      out.throughput = figure;
      const double other = second_mode(figures, kTwoModeGap, kModeAgreement);
      std::set<pid_t> readers;  // the workers whose passes read `other`
      for (size_t k = 0; k < passes.size() && !std::isnan(other); ++k)
        if (passes[k].measured() && *passes[k].throughput > (1 + kTwoModeGap) * figure &&
            std::abs(*passes[k].throughput - other) <= kModeAgreement * other)
          readers.insert(pids[k]);
      if (readers.size() >= 2) out.other_mode = other;
    }
  }
  out.attempts = out.disturbed = out.unrolling_flagged = out.faulted_pages = 0;
  for (const Measurement& p : passes) {
    out.attempts += p.attempts;
    out.disturbed += p.disturbed;
    out.unrolling_flagged += p.unrolling_flagged;
    out.faulted_pages += p.faulted_pages;
  }
  out.workers = static_cast<uint32_t>(std::set<pid_t>(pids.begin(), pids.end()).size());
  return out;
}

}  // namespace surrogate::measure
