// For tests that measure while other work runs on the measuring CPUs: child
// processes pinned to each CPU this process may use, of three kinds that
// disturbed `measure` on a KVM host (issue 11): a spinner (the scheduler
// time-slices the worker with it; the core clock moved 0.637 -> 0.702 TSC
// ticks per cycle while it ran), a waker (sleeps 50 us, spins ~30 us: it
// preempts the worker inside most timed runs) and a cache thrasher (memset
// over 64 MiB).
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <vector>

namespace surrogate::measure {

class OtherLoad {
 public:
  OtherLoad() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &set)) continue;
      for (Kind kind : {Kind::kSpinner, Kind::kWaker, Kind::kThrasher}) start(cpu, kind);
    }
    struct timespec settle{0, 200'000'000};  // let the children start and migrate
    nanosleep(&settle, nullptr);
  }
  ~OtherLoad() {
    for (pid_t pid : children_) kill(pid, SIGKILL);
    for (pid_t pid : children_) waitpid(pid, nullptr, 0);
  }
  OtherLoad(const OtherLoad&) = delete;
  OtherLoad& operator=(const OtherLoad&) = delete;

  size_t processes() const { return children_.size(); }

 private:
  enum class Kind { kSpinner, kWaker, kThrasher };

  void start(int cpu, Kind kind) {
    const pid_t pid = fork();
    if (pid < 0) return;
    if (pid > 0) {
      children_.push_back(pid);
      return;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    sched_setaffinity(0, sizeof one, &one);
    run(kind);
  }

  // Counts through memory (store-to-load forwarded, ~5 cycles a step): this
  // spinner, not a register-only loop, made the clock move in the runs above.
  static void spin(long steps) {
    volatile long i = 0;
    while (i < steps) i = i + 1;
  }

  [[noreturn]] static void run(Kind kind) {
    std::vector<char> buffer(kind == Kind::kThrasher ? 64 << 20 : 0);
    for (;;) {
      switch (kind) {
        case Kind::kSpinner:
          spin(100'000'000);
          break;
        case Kind::kWaker: {
          struct timespec nap{0, 50'000};
          nanosleep(&nap, nullptr);
          spin(20'000);  // ~30 us
          break;
        }
        case Kind::kThrasher:
          std::memset(buffer.data(), 1, buffer.size());
          break;
      }
    }
  }

  std::vector<pid_t> children_;
};

}  // namespace surrogate::measure
