#include "cli/command.h"

#include <csignal>
#include <cmath>
#include <cstdio>

namespace surrogate::cli {

std::atomic<bool> interrupted{false};

static void on_signal(int) { interrupted = true; }

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::string format_throughput(double value) {
  char buf[64];
  if (std::nearbyint(value) == value && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.4f", value);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string describe_blocks(const std::vector<BasicBlock>& blocks) {
  std::string s;
  for (const BasicBlock& b : blocks) s += b.hex() + "\n";
  return s;
}

}  // namespace surrogate::cli
