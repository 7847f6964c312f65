#include "measure/harness.h"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "measure/worker.h"

namespace surrogate::measure {
namespace {

// A block that faulted, hung or is too long will do so again; a measured one,
// or one given up because of other load, may read differently another time.
bool worth_another_pass(const Measurement& m) { return m.measured() || m.reason.rfind("disturbed", 0) == 0; }

// The faster of two passes (see Options::passes); counts add up.
Measurement combine_passes(const Measurement& first, const Measurement& second) {
  Measurement out;
  if (first.measured() && (!second.measured() || *first.throughput <= *second.throughput)) {
    out = first;
  } else {
    out = second;
  }
  out.attempts = first.attempts + second.attempts;
  out.disturbed = first.disturbed + second.disturbed;
  return out;
}

// Starts of a worker whose self-check may have been spoiled by other load.

}  // namespace

Harness::Harness(Options options) : options_(std::move(options)), host_(host_info()) {
  if (auto why = unsupported_host_reason()) throw std::runtime_error(*why);
  if (options_.unroll_a == 0 || options_.unroll_a >= options_.unroll_b)
    throw std::invalid_argument("unroll factors must satisfy 0 < a < b");
  if (options_.repetitions == 0 || options_.batch_size == 0)
    throw std::invalid_argument("repetitions and batch size must be positive");
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus_.push_back(c);
  }
  if (cpus_.empty()) cpus_.push_back(-1);
  jobs_ = options_.jobs ? options_.jobs : static_cast<unsigned>(cpus_.size());
}

std::vector<Measurement> Harness::measure(const std::vector<std::vector<uint8_t>>& blocks,
                                          const ResultCallback& on_result, const std::atomic<bool>* cancel) {
  std::vector<Measurement> results(blocks.size());
  const size_t batch = options_.batch_size;
  const size_t batches = (blocks.size() + batch - 1) / batch;
  std::atomic<size_t> next_batch{0};
  std::mutex deliver_mutex;
  std::exception_ptr failure;
  std::atomic<bool> stop{false};
  CanaryCycles clean_canary;  // lowest worker start-up canaries so far (under deliver_mutex)

  auto cancelled = [&] { return stop || (cancel && cancel->load()); };
  auto deliver = [&](size_t index, Measurement m) {
    std::lock_guard<std::mutex> lock(deliver_mutex);
    results[index] = std::move(m);
    if (on_result) on_result(index, results[index]);
  };

  auto pool_thread = [&](unsigned slot) {
    const int cpu = options_.pin_workers && !cpus_.empty() ? cpus_[slot % cpus_.size()] : -1;
    try {
      for (size_t b; !cancelled() && (b = next_batch++) < batches;) {
        std::unique_ptr<WorkerProcess> worker;
        int failed_starts = 0;
        const size_t begin = b * batch, end = std::min(blocks.size(), (b + 1) * batch);
        std::vector<Measurement> earlier(end - begin);
        for (uint32_t pass = 0; pass < options_.passes && !cancelled(); ++pass) {
          const bool last_pass = pass + 1 == options_.passes;
          for (size_t i = begin; i < end && !cancelled(); ++i) {
            Measurement& prev = earlier[i - begin];
            if (pass > 0 && !worth_another_pass(prev)) continue;  // delivered already
            while (!worker || !worker->alive()) {
              worker.reset();
              try {
                worker = std::make_unique<WorkerProcess>(options_, cpu, host_.has_avx);
                std::lock_guard<std::mutex> lock(deliver_mutex);
                CanaryCycles c = worker->canary_baseline();
                if (c.zero_idioms > 0 && (clean_canary.zero_idioms == 0 || c.zero_idioms < clean_canary.zero_idioms))
                  clean_canary.zero_idioms = c.zero_idioms;
                if (c.loads > 0 && (clean_canary.loads == 0 || c.loads < clean_canary.loads))
                  clean_canary.loads = c.loads;
                reference_check_ = worker->reference_check();
                failed_starts = 0;  // the limits below are on failures in a row
              } catch (const StartError& e) {
                // A self-check that other load may have spoiled is tried
                // again after waits of 0.5, 1, 2, ... (options_.start_retries
                // waits: 7 = ~1 min in all); any other failure three times at once.
                ++failed_starts;
                if (!e.retryable() ? failed_starts >= 3 : failed_starts > static_cast<int>(options_.start_retries))
                  throw std::runtime_error("on " + host_.identity() + ": " + e.what());
                if (e.retryable())
                  for (double w = 0; w < 0.5 * (1 << (failed_starts - 1)) && !cancelled(); w += 0.1)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
              }
            }
            CanaryCycles canary;
            {
              std::lock_guard<std::mutex> lock(deliver_mutex);
              canary = clean_canary;
            }
            Measurement m = worker->measure(blocks[i], options_.block_timeout_seconds, canary);
            prev = pass == 0 ? std::move(m) : combine_passes(prev, m);
            if (last_pass || !worth_another_pass(prev)) deliver(i, prev);
          }
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(deliver_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };

  const unsigned threads = std::max<unsigned>(1, std::min<size_t>(jobs_, std::max<size_t>(batches, 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(pool_thread, t);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return results;
}

}  // namespace surrogate::measure
