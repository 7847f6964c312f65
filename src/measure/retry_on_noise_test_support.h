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
// measures again after waits of 0.5, 1, 2, 4 and 8 s and reports only the
// last attempt's failures. A harness that is wrong fails every attempt.
inline void with_retries(const std::function<void()>& attempt) {
  for (double wait = 0.5; wait <= 8; wait *= 2) {
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
