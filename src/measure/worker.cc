#include "measure/worker.h"

#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

#include "measure/block_timer.h"
#include "measure/fault_guard.h"
#include "measure/seccomp_filter.h"

namespace surrogate::measure {
namespace {

// ---- wire format (host-native, parent and child are the same binary) ----
constexpr uint32_t kReadyMagic = 0x5355524d;  // "SURM"
constexpr uint32_t kMaxBlockBytes = 1 << 16;

struct ReadyMessage {
  uint32_t magic = 0;
  CanaryCycles canary_baseline;
  ReferenceCheck reference_check;
  uint8_t retryable = 0;  // the start failed on a retryable reference self-check
  char error[240] = {};
};

// `key`: a random number per job, echoed with its result. The worker keeps it
// where no block can read it; a result without the job's key is not taken.
struct JobHeader {
  uint32_t bytes = 0;
  uint32_t rip_displacements = 0;  // RipDisplacement records after the bytes
  CanaryCycles clean_canary;       // the run's start-up baseline so far (0: none)
  uint64_t key = 0;
};

struct ResultMessage {
  uint64_t key = 0;
  uint8_t measured = 0;
  double throughput = 0;
  double tsc_per_cycle = 0;
  uint32_t unroll_a = 0, unroll_b = 0;
  uint64_t iterations = 0;
  uint32_t attempts = 0, disturbed = 0, unrolling_flagged = 0, faulted_pages = 0;
  uint8_t retire_worker = 0;
  double canary_zero_idioms = 0, canary_loads = 0;
  char reason[240] = {};
};

// child: plain write (the seccomp allowlist has write, not sendto; SIGPIPE is
// ignored in the child); parent: send with MSG_NOSIGNAL, so a dead child
// cannot kill the parent with SIGPIPE.
bool write_full(int fd, const void* data, size_t n, bool child = false) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = child ? write(fd, p, n) : send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// In the child (seccomp allows read on its socket only).
bool read_full(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

enum class ReadStatus { kOk, kTimeout, kClosed };

// In the parent: reads n bytes before `deadline`.
ReadStatus read_until(int fd, void* data, size_t n, std::chrono::steady_clock::time_point deadline) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return ReadStatus::kTimeout;
    pollfd pfd{fd, POLLIN, 0};
    int pr = poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return ReadStatus::kClosed;
    if (pr == 0) return ReadStatus::kTimeout;
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ReadStatus::kClosed;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return ReadStatus::kOk;
}

void copy_text(char* dst, size_t size, const std::string& s) {
  size_t n = std::min(size - 1, s.size());
  std::memcpy(dst, s.data(), n);
  dst[n] = 0;
}

uint64_t virtual_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void set_limit(int resource, rlim_t value) {
  struct rlimit rl{value, value};
  setrlimit(resource, &rl);  // best effort: a lower hard limit already set is fine
}

void close_other_fds(int keep) {
  // Descriptors 0-2 stay (stderr is allowed for diagnostics); everything else
  // inherited from the parent (other workers' sockets, output files) goes.
  if (keep > 3) syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
  syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
}

[[noreturn]] void worker_main(int fd, const Options& options, int cpu, bool has_avx) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // A Ctrl-C reaches the whole foreground process group: the parent decides
  // (it stops handing out blocks and closes the socket, so the child exits).
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  close_other_fds(fd);
  ReadyMessage ready;
  try {
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof set, &set);
    }
    BlockTimer timer(options, has_avx);
    std::vector<uint8_t> block;
    std::vector<RipDisplacement> rip;
    block.reserve(kMaxBlockBytes);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_AS, virtual_memory_bytes() + (uint64_t{1} << 30));
    set_limit(RLIMIT_CPU,
              static_cast<rlim_t>(std::ceil(options.block_timeout_seconds * (options.worker_blocks + 1))) + 30);
    // glibc's free() gives the top of a thread arena's heap back to the kernel
    // above the trim threshold, and the first time it does so it opens
    // /proc/sys/vm/overcommit_memory, which the filter kills (seen on an
    // Intel host: a 64 KiB code staging buffer freed in a forked thread's
    // arena). Never trimming keeps every free inside the allowlist.
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
    install_seccomp_filter({timer.code_begin(), timer.code_end(), fd, fd, timer.code_fd()});
    ready.magic = kReadyMagic;
    ready.canary_baseline = timer.canary_baseline();
    ready.reference_check = timer.reference_check();
    if (!write_full(fd, &ready, sizeof ready, true)) _exit(1);

    for (;;) {
      JobHeader job;
      if (!read_full(fd, &job, sizeof job)) _exit(0);  // EOF: the parent is done with this worker
      ResultMessage out;
      out.key = job.key;
      if (job.bytes > kMaxBlockBytes) {
        copy_text(out.reason, sizeof out.reason, "block too long");
        std::vector<char> sink(4096);
        for (uint64_t left = job.bytes + uint64_t{job.rip_displacements} * sizeof(RipDisplacement); left > 0;) {
          uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(left, 4096));
          if (!read_full(fd, sink.data(), n)) _exit(1);
          left -= n;
        }
      } else {
        block.resize(job.bytes);
        if (!read_full(fd, block.data(), job.bytes)) _exit(1);
        if (job.rip_displacements > job.bytes) _exit(1);  // at most one per byte: a broken parent
        rip.resize(job.rip_displacements);
        if (!read_full(fd, rip.data(), rip.size() * sizeof(RipDisplacement))) _exit(1);
        timer.lower_canary_baseline(job.clean_canary);
        Measurement m = timer.measure(block, rip);
        out.measured = m.measured();
        out.throughput = m.throughput.value_or(0);
        out.tsc_per_cycle = m.tsc_per_cycle;
        out.unroll_a = m.unroll_a;
        out.unroll_b = m.unroll_b;
        out.iterations = m.iterations;
        out.attempts = m.attempts;
        out.disturbed = m.disturbed;
        out.unrolling_flagged = m.unrolling_flagged;
        out.retire_worker = m.retire_worker;
        out.canary_zero_idioms = m.canaries.zero_idioms;
        out.canary_loads = m.canaries.loads;
        out.faulted_pages = m.faulted_pages;
        copy_text(out.reason, sizeof out.reason, m.reason);
      }
      if (!write_full(fd, &out, sizeof out, true)) _exit(1);
    }
  } catch (const std::exception& e) {
    copy_text(ready.error, sizeof ready.error, e.what());
    if (auto* start = dynamic_cast<const StartError*>(&e)) ready.retryable = start->retryable();
    write_full(fd, &ready, sizeof ready, true);
    _exit(2);
  }
}

// A fresh job key, from the kernel's random source (the clock if it fails), never 0.
uint64_t job_key() {
  uint64_t key = 0;
  if (getrandom(&key, sizeof key, 0) != static_cast<ssize_t>(sizeof key))
    key = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x9E3779B97F4A7C15ull;
  return key | 1;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGTRAP:
      return "SIGTRAP";
    case SIGSYS:
      return "SIGSYS";
    case SIGKILL:
      return "SIGKILL";
    case SIGXCPU:
      return "SIGXCPU";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "a signal";
  }
}

}  // namespace

WorkerProcess::WorkerProcess(const Options& options, int cpu, bool has_avx) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw StartError(std::string("socketpair: ") + std::strerror(errno), false);
  pid_ = fork();
  if (pid_ < 0) {
    close(sv[0]);
    close(sv[1]);
    throw StartError(std::string("fork: ") + std::strerror(errno), false);
  }
  if (pid_ == 0) {
    close(sv[0]);
    worker_main(sv[1], options, cpu, has_avx);
  }
  close(sv[1]);
  fd_ = sv[0];
  ReadyMessage ready;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  if (read_until(fd_, &ready, sizeof ready, deadline) != ReadStatus::kOk || ready.magic != kReadyMagic) {
    std::string why = ready.error[0] ? std::string(ready.error) : reap();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    reap();
    throw StartError("measure worker failed to start: " + why, ready.retryable != 0);
  }
  canary_baseline_ = ready.canary_baseline;
  reference_check_ = ready.reference_check;
  alive_ = true;
}

WorkerProcess::~WorkerProcess() {
  if (fd_ >= 0) close(fd_);  // EOF: the child exits
  fd_ = -1;
  if (pid_ > 0) {
    // Give a healthy child a moment to exit on its own, then kill it.
    for (int i = 0; i < 100; ++i) {
      int status;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        pid_ = -1;
        return;
      }
      usleep(1000);
    }
    reap();
  }
}

std::string WorkerProcess::reap() {
  alive_ = false;
  if (pid_ <= 0) return "worker gone";
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) {
    kill(pid_, SIGKILL);
    r = waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  if (r < 0) return "worker gone";
  char buf[128];
  if (WIFSIGNALED(status)) {
    std::snprintf(buf, sizeof buf, "worker killed by %s (signal %d)", signal_name(WTERMSIG(status)), WTERMSIG(status));
  } else if (WEXITSTATUS(status) >= kHarnessFaultExit) {
    std::snprintf(buf, sizeof buf, "worker failed: harness fault, signal %d", WEXITSTATUS(status) - kHarnessFaultExit);
  } else {
    std::snprintf(buf, sizeof buf, "worker exited with status %d", WEXITSTATUS(status));
  }
  return buf;
}

void WorkerProcess::send(std::span<const uint8_t> block, const CanaryCycles& clean_canary,
                         std::span<const RipDisplacement> rip) {
  JobHeader job{static_cast<uint32_t>(block.size()), static_cast<uint32_t>(rip.size()), clean_canary, job_key()};
  pending_.push_back(job.key);
  if (!alive_) return;  // receive() reports it
  if (!write_full(fd_, &job, sizeof job) || !write_full(fd_, block.data(), block.size()) ||
      !write_full(fd_, rip.data(), rip.size() * sizeof(RipDisplacement))) {
    ended_ = reap();  // the results it wrote before it ended can still be read
    lost_key_ = job.key;
  }
}

Measurement WorkerProcess::receive(double timeout_seconds) {
  Measurement m;
  if (pending_.empty()) throw std::logic_error("WorkerProcess::receive: no block sent");
  const uint64_t key = pending_.front();
  pending_.pop_front();
  if (fd_ < 0) {
    m.reason = "worker not running";
    return m;
  }
  ResultMessage out;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeout_seconds * 1e6));
  ReadStatus st = read_until(fd_, &out, sizeof out, deadline);
  if (st != ReadStatus::kOk) {
    char buf[96];
    if (st == ReadStatus::kTimeout) {
      kill(pid_, SIGKILL);
      reap();
      std::snprintf(buf, sizeof buf, "timeout: no result within %.1f s", timeout_seconds);
      m.reason = buf;
    } else {
      if (alive_) ended_ = reap();
      m.reason = key == lost_key_ ? "lost the worker: " + ended_ : ended_ + " while running the block";
    }
    close(fd_);
    fd_ = -1;
    pending_.clear();  // never run
    return m;
  }
  if (out.key != key) {
    m.reason = "worker answered for another block (a forged result?): " + reap();
    close(fd_);
    fd_ = -1;
    pending_.clear();
    return m;
  }
  if (out.measured) m.throughput = out.throughput;
  out.reason[sizeof out.reason - 1] = 0;
  m.reason = out.reason;
  m.tsc_per_cycle = out.tsc_per_cycle;
  m.unroll_a = out.unroll_a;
  m.unroll_b = out.unroll_b;
  m.iterations = out.iterations;
  m.attempts = out.attempts;
  m.disturbed = out.disturbed;
  m.unrolling_flagged = out.unrolling_flagged;
  m.retire_worker = out.retire_worker != 0;
  m.canaries = {out.canary_zero_idioms, out.canary_loads};
  m.faulted_pages = out.faulted_pages;
  return m;
}

}  // namespace surrogate::measure
