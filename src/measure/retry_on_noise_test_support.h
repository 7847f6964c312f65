// For tests that time code on this machine.
#pragma once

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace surrogate::measure {

// Runs `attempt` (measure, then check). When the machine's other load makes
// its expectations fail (shared hosts: an SMT sibling busy for seconds), it
// measures again after waits of 0.5, 1, 2, ... 32 s and reports only the
// last attempt's failures. A harness that is wrong fails every attempt.
// (Up to 8 s was not enough once on a Zen 3 VM whose SMT siblings stayed
// busy: the stricter disturbance rules then give blocks up as disturbed.)
inline void with_retries(const std::function<void()>& attempt) {
  for (double wait = 0.5; wait <= 32; wait *= 2) {
    ::testing::TestPartResultArray failures;
    {
      ::testing::ScopedFakeTestPartResultReporter quiet(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      attempt();
    }
    if (failures.size() == 0) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
  attempt();
}

}  // namespace surrogate::measure
