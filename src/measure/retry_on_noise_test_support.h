// For tests that time code on this machine.
#pragma once

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "measure/measurement.h"
#include "measure/recent_repetitions.h"

namespace surrogate::measure {

// The harness's proof that other load spoiled a block, found in a failure
// message: its reason "disturbed by other load: ... (canaries up to Z/L
// cycles, clean z/l)" with a canary over canary_tolerance x its clean value,
// or "disturbed by other load: the canaries read a median zx/lx their clean
// cost ... (a stretch of contention: over tx, or both over jx)" with medians
// that name a stretch at t (RecentRepetitions::names_stretch).
// A harness that flags repetitions on a quiet machine shows canaries at their
// clean values and gives no such proof.
inline std::optional<std::string> other_load_proof(const std::string& message) {
  static const std::regex kStretch(
      R"(disturbed by other load: the canaries read a median ([0-9.]+)x/([0-9.]+)x their clean cost )"
      R"([^\n]*\(a stretch of contention: over ([0-9.]+)x(?:, or both over [0-9.]+x)?\))");
  std::smatch m;
  if (std::regex_search(message, m, kStretch)) {
    if (RecentRepetitions::names_stretch({std::stod(m[1]), std::stod(m[2])}, std::stod(m[3]))) return m[0].str();
    return std::nullopt;
  }
  static const std::regex kReason(
      R"(disturbed by other load: [^\n]*\(canaries up to ([0-9.]+)/([0-9.]+) cycles, clean ([0-9.]+)/([0-9.]+)\))");
  if (!std::regex_search(message, m, kReason)) return std::nullopt;
  const double tol = Options{}.canary_tolerance;
  const double zero = std::stod(m[1]), loads = std::stod(m[2]), clean_zero = std::stod(m[3]),
               clean_loads = std::stod(m[4]);
  if (zero > tol * clean_zero || loads > tol * clean_loads) return m[0].str();
  return std::nullopt;
}

// Runs `attempt` (measure, then check). When the machine's other load makes
// its expectations fail (shared hosts: an SMT sibling busy for seconds), it
// measures again after waits of 0.5, 1, 2, ... 64 s and reports only the
// last attempt's failures. A harness that is wrong fails every attempt.
// (Up to 8 s was not enough once on a Zen 3 VM whose SMT siblings stayed
// busy: the stricter disturbance rules then give blocks up as disturbed;
// up to 32 s not once on a Zen 5 CI guest, whose zero-idiom canary read
// 1.5-1.6x its baseline in every repetition for 80 s; up to 64 s not once
// either, canaries 1.35x theirs for 127 s.) When the last attempt still
// fails and the harness proved other load in it (other_load_proof), the
// test is skipped, naming the proof: the harness refused to write disturbed
// values, which is its job, and the known answers cannot be checked on a
// host that stays busy for minutes. Any other failure is reported.
inline void with_retries(const std::function<void()>& attempt, double max_wait_seconds = 64) {
  const auto start = std::chrono::steady_clock::now();
  for (double wait = 0.5;; wait *= 2) {
    ::testing::TestPartResultArray failures;
    {
      ::testing::ScopedFakeTestPartResultReporter quiet(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      attempt();
    }
    if (failures.size() == 0) return;
    if (wait <= max_wait_seconds) {
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      continue;
    }
    for (int i = 0; i < failures.size(); ++i) {
      if (auto proof = other_load_proof(failures.GetTestPartResult(i).message())) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f s", seconds);
        GTEST_SKIP() << "this host stayed under other load for " << buf << " of retries; the harness said: "
                     << *proof;
      }
    }
    for (int i = 0; i < failures.size(); ++i) {
      const ::testing::TestPartResult& f = failures.GetTestPartResult(i);
      ADD_FAILURE_AT(f.file_name() ? f.file_name() : "?", f.line_number()) << f.message();
    }
    return;
  }
}

}  // namespace surrogate::measure
