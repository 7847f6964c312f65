#include "measure/harness.h"

#include <sched.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "measure/estimate.h"
#include "measure/worker.h"

namespace surrogate::measure {
namespace {

// Blocks handed to a worker at once: the one it measures and the next, so
// that it never waits for the parent between blocks.
constexpr size_t kBlocksInFlight = 2;

// A block that faulted, hung or is too long will do so again; a measured one,
// or one given up because of other load, may read differently another time.
bool worth_another_pass(const Measurement& m) { return m.measured() || m.reason.rfind("disturbed", 0) == 0; }

// The figures of a block's measured passes.
std::vector<double> figures_of(const std::vector<Measurement>& passes) {
  std::vector<double> figures;
  for (const Measurement& p : passes)
    if (p.measured()) figures.push_back(*p.throughput);
  return figures;
}

// Whether a block has one measured pass and another given up as disturbed:
// no second pass confirms that figure (on a Zen 5 guest one pass read a
// 15-cycle chain at 23.4 with every L_b run slowed alike, and the next pass
// was given up), so it is measured in more passes, and given up after the
// last. `required`: Options::passes.
bool lone_pass(const std::vector<Measurement>& passes, size_t measured, uint32_t required) {
  return required >= 2 && measured == 1 && passes.size() >= 2;
}

// A block's result from all its passes (Options::passes): the pass whose
// figure pass_figure takes (its second mode, if any, as other_mode); when no
// second pass confirms the fastest, or a lone pass stands (lone_pass),
// unmeasurable as disturbed (measured again in a later round); when none
// measured, the latest pass. Attempts, flagged repetitions and faulted
// pages add up over the passes.
Measurement result_of_passes(const std::vector<Measurement>& passes, uint32_t required) {
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
      out = *std::find_if(passes.begin(), passes.end(),
                          [&](const Measurement& p) { return p.measured() && *p.throughput == figure; });
      const double other = second_mode(figures, kTwoModeGap, kModeAgreement);
      if (!std::isnan(other)) out.other_mode = other;
    }
  }
  out.attempts = out.disturbed = out.unrolling_flagged = out.faulted_pages = 0;
  for (const Measurement& p : passes) {
    out.attempts += p.attempts;
    out.disturbed += p.disturbed;
    out.unrolling_flagged += p.unrolling_flagged;
    out.faulted_pages += p.faulted_pages;
  }
  return out;
}

}  // namespace

Harness::Harness(Options options) : options_(std::move(options)), host_(host_info()) {
  if (auto why = unsupported_host_reason()) throw std::runtime_error(*why);
  if (options_.unroll_a == 0 || options_.unroll_a >= options_.unroll_b)
    throw std::invalid_argument("unroll factors must satisfy 0 < a < b");
  if (options_.repetitions == 0 || options_.batch_size == 0 || options_.worker_blocks == 0 ||
      options_.stretch_repetitions == 0)
    throw std::invalid_argument("repetitions, batch size, blocks per worker and stretch repetitions must be positive");
  if (!(options_.code_mode_share >= 0 && options_.code_mode_share < 1))
    throw std::invalid_argument("code mode share must be at least 0 and below 1");
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
                                          const ResultCallback& on_result, const std::atomic<bool>* cancel,
                                          const std::vector<std::vector<RipDisplacement>>& rip_displacements) {
  if (!rip_displacements.empty() && rip_displacements.size() != blocks.size())
    throw std::invalid_argument("rip_displacements: one list per block");
  std::vector<Measurement> results(blocks.size());
  const size_t batch = options_.batch_size;
  const size_t batches = (blocks.size() + batch - 1) / batch;
  std::atomic<size_t> next_batch{0};
  std::mutex deliver_mutex;
  std::exception_ptr failure;
  std::atomic<bool> stop{false};
  // starts_ and reference_check_ are shared by the pool: under deliver_mutex.
  auto accept_start = [&](const ReferenceCheck& check, const CanaryCycles& c) {
    std::lock_guard<std::mutex> lock(deliver_mutex);
    starts_.accept(check, c);  // throws StartError for a start outside the band
    reference_check_ = check;
  };
  // The shared baseline every repetition is judged by: the run's starts'
  // (starts_, across measure calls), or the host's quiet record where lower:
  // this run may have started while the core was shared
  // (Options::quiet_canary).
  auto clean_canary = [&] {
    std::lock_guard<std::mutex> lock(deliver_mutex);
    return lower_of(starts_.canary(), options_.quiet_canary);
  };

  auto cancelled = [&] { return stop || (cancel && cancel->load()); };
  auto deliver = [&](size_t index, Measurement m) {
    std::lock_guard<std::mutex> lock(deliver_mutex);
    results[index] = std::move(m);
    if (on_result) on_result(index, results[index]);
  };

  auto pool_thread = [&](unsigned slot) {
    const int cpu = options_.pin_workers && !cpus_.empty() ? cpus_[slot % cpus_.size()] : -1;
    try {
      std::unique_ptr<WorkerProcess> worker;
      size_t worker_sent = 0;  // blocks sent to `worker` (Options::worker_blocks)
      int failed_starts = 0;
      for (size_t b; !cancelled() && (b = next_batch++) < batches;) {
        const size_t begin = b * batch, end = std::min(blocks.size(), (b + 1) * batch);
        // Per block: its passes so far, and whether it is delivered.
        std::vector<std::vector<Measurement>> passes(end - begin);
        std::vector<char> delivered(end - begin, 0);
        // After Options::passes, up to kModePasses more for blocks whose
        // modes are unsettled (estimate.h: modes_unsettled).
        const uint32_t max_passes = options_.passes + kModePasses;
        for (uint32_t pass = 0; pass < max_passes && !cancelled(); ++pass) {
          std::vector<size_t> todo;  // this pass's blocks, in order
          for (size_t i = begin; i < end; ++i)
            if (!delivered[i - begin]) todo.push_back(i);
          // todo[done] is the oldest block sent and not received, todo[sent]
          // the next to send.
          for (size_t done = 0, sent = 0; done < todo.size() && !cancelled();) {
            while (!worker || !worker->alive() || (worker_sent >= options_.worker_blocks && worker->in_flight() == 0)) {
              worker.reset();
              sent = done;  // the blocks sent after one that ended a worker never ran
              worker_sent = 0;
              try {
                worker = std::make_unique<WorkerProcess>(options_, cpu, host_.has_avx);
                accept_start(worker->reference_check(), worker->canary_baseline());
                failed_starts = 0;  // the limits below are on failures in a row
              } catch (const StartError& e) {
                worker.reset();  // also one that started but was refused
                // A self-check that other load may have spoiled is tried
                // again after waits of 0.5, 1, 2, ... (options_.start_retries
                // waits: 7 = ~1 min in all); any other failure three times,
                // after waits of 0.5 and 1 s (a burst of other load outlasts
                // three start-ups made at once).
                ++failed_starts;
                if (!e.retryable() ? failed_starts >= 3 : failed_starts > static_cast<int>(options_.start_retries))
                  throw std::runtime_error("on " + host_.identity() + ": " + e.what());
                for (double w = 0; w < 0.5 * (1 << (failed_starts - 1)) && !cancelled(); w += 0.1)
                  std::this_thread::sleep_for(std::chrono::milliseconds(100));
              }
            }
            // One block waits in the socket while the worker measures
            // another (WorkerProcess::send).
            for (; sent < todo.size() && sent - done < kBlocksInFlight && worker_sent < options_.worker_blocks;
                 ++sent, ++worker_sent) {
              const size_t i = todo[sent];
              worker->send(
                  blocks[i], clean_canary(),
                  rip_displacements.empty() ? std::span<const RipDisplacement>{} : std::span(rip_displacements[i]));
            }
            if (worker->in_flight() == 0) continue;  // this worker's share is done: the next one starts
            const size_t i = todo[done++];
            std::vector<Measurement>& p = passes[i - begin];
            p.push_back(worker->receive(options_.block_timeout_seconds));
            // A worker whose block code runs slowly gets no more blocks: the
            // next start is a fresh process (recent_repetitions.h).
            if (p.back().retire_worker) worker_sent = std::max(worker_sent, options_.worker_blocks);
            const std::vector<double> figures = figures_of(p);
            // A measured pass, or one given up as disturbed, may be followed
            // by another; a faulting, hanging or too long block not.
            const bool more = (!figures.empty() || worth_another_pass(p.back())) && pass + 1 < max_passes &&
                              (pass + 1 < options_.passes || lone_pass(p, figures.size(), options_.passes) ||
                               modes_unsettled(figures, kTwoModeGap, kModeAgreement));
            if (!more) {
              delivered[i - begin] = 1;
              deliver(i, result_of_passes(p, options_.passes));
            }
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
