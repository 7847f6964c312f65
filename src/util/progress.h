// Progress: "label: done/total (pct) rate/s ETA" on a terminal's stderr,
// redrawn at most a few times a second; silent when stderr is not a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace surrogate::util {

class Progress {
 public:
  // already_done: items finished before this run (resumed), not counted in the rate.
  Progress(std::string label, std::size_t total, std::size_t already_done = 0);
  ~Progress();
  // Adds n finished items; thread-safe.
  void advance(std::size_t n = 1);
  // Text shown after the ETA (e.g. "loss 0.123"); call from one thread.
  void set_status(std::string status);
  // Clears the line (call before printing other messages is not needed: finish() at end).
  void finish();
  static bool enabled();

 private:
  void draw(bool final);
  std::string label_;
  std::string status_;
  std::size_t total_;
  std::size_t start_done_;
  std::atomic<std::size_t> done_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
  bool active_;
  bool finished_ = false;
};

}  // namespace surrogate::util
