#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace surrogate::util {

bool Progress::enabled() { return ::isatty(STDERR_FILENO); }

Progress::Progress(std::string label, std::size_t total, std::size_t already_done)
    : label_(std::move(label)),
      total_(total),
      start_done_(already_done),
      done_(already_done),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      active_(enabled()) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::size_t n) {
  done_ += n;
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::set_status(std::string status) {
  std::lock_guard lock(mutex_);
  status_ = std::move(status);
}

void Progress::finish() {
  if (!active_ || finished_) return;
  finished_ = true;
  std::lock_guard lock(mutex_);
  draw(true);
}

void Progress::draw(bool final) {
  std::size_t done = done_.load();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? (done - start_done_) / secs : 0;
  double pct = total_ ? 100.0 * done / total_ : 100.0;
  char eta[32] = "--";
  if (rate > 0 && done < total_) {
    long s = static_cast<long>((total_ - done) / rate);
    std::snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  }
  // The last line says what happened: done, or stopped short (interrupted).
  const char* end = done >= total_ ? "done" : "stopped";
  char resumed[64] = "";
  if (start_done_) std::snprintf(resumed, sizeof resumed, ", %zu resumed from an earlier run", start_done_);
  if (final)
    std::fprintf(stderr, "\r\033[K%s: %zu/%zu (%.1f%%) %.0f/s %s%s%s%s", label_.c_str(), done, total_, pct, rate, end,
                 resumed, status_.empty() ? "" : "  ", status_.c_str());
  else
    std::fprintf(stderr, "\r\033[K%s: %zu/%zu (%.1f%%) %.0f/s ETA %s%s%s%s", label_.c_str(), done, total_, pct, rate,
                 eta, resumed, status_.empty() ? "" : "  ", status_.c_str());
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace surrogate::util
