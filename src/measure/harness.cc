#include "measure/harness.h"

#include <sched.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "measure/estimate.h"
#include "measure/measuring_cpus.h"
#include "measure/pass_result.h"
#include "measure/worker.h"

namespace surrogate::measure {
namespace {

// Blocks handed to a worker at once: the one it measures and the next, so
// that it never waits for the parent between blocks.
constexpr size_t kBlocksInFlight = 2;

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
  std::vector<int> allowed;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) allowed.push_back(c);
  }
  if (!allowed.empty()) {
    MeasuringCpus m = measuring_cpus(allowed);
    cpus_ = std::move(m.cpus);
    cpu_note_ = std::move(m.note);
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
  // (starts_, across measure calls); each worker lowers it further by the
  // host's quiet record (BlockTimer::lower_canary_baseline): this run may
  // have started while the core was shared (Options::quiet_canary).
  auto clean_canary = [&] {
    std::lock_guard<std::mutex> lock(deliver_mutex);
    return starts_.canary();
  };

  auto cancelled = [&] { return stop || (cancel && cancel->load()); };
  auto deliver = [&](size_t index, Measurement m) {
    std::lock_guard<std::mutex> lock(deliver_mutex);
    results[index] = std::move(m);
    if (on_result) on_result(index, results[index]);
  };

  // A batch between its passes: each pass runs on a worker process other
  // than the one that ran the pass before, so a worker whose block code or
  // core runs slowly with every check quiet cannot confirm its own readings
  // (on a Zen 5 guest one worker read ~45% of ~450 blocks 10-40% slow,
  // canaries 1.00x, both passes agreeing: BENCHMARKS.md 45). Each pool
  // thread has two worker slots on its CPU; a thread takes first a batch
  // whose last pass ran on another thread (another CPU too), then a new
  // batch, then one of its own with its other slot, the last before a new
  // batch once more than kOwnBacklog of its own wait (a thread on a busy CPU
  // must not hold up the run: the others go on with their own).
  struct BatchPasses {
    size_t begin = 0, end = 0;
    uint32_t pass = 0;                             // the next pass to run
    int last_slot = -1;                            // the worker slot (see below) that ran the latest pass
    int last_thread = -1;                          // and its pool thread
    std::vector<std::vector<Measurement>> passes;  // per block: its passes so far
    std::vector<std::vector<pid_t>> pids;          // per block: the process of each pass
    std::vector<char> delivered;
  };
  // A worker process slot: the process measuring now, replaced when it dies,
  // hangs or has made Options::worker_blocks measurements.
  struct WorkerSlot {
    int id = 0;
    int cpu = -1;
    std::unique_ptr<WorkerProcess> worker;
    size_t sent = 0;  // blocks sent to `worker` (Options::worker_blocks)
  };
  constexpr size_t kOwnBacklog = 2;
  const unsigned threads = std::max(1u, jobs_);
  std::vector<BatchPasses> states(batches);
  std::deque<size_t> ready;  // batches waiting for their next pass, oldest first
  size_t started = 0;        // batches whose first pass has been taken
  size_t running = 0;        // passes being run now
  std::mutex queue_mutex;
  std::condition_variable queue_changed;

  // Runs the next pass of batch `st` on `slot`. failed_in_a_row: the
  // thread's worker starts that failed in a row.
  auto run_pass = [&](WorkerSlot& slot, BatchPasses& st, int& failed_in_a_row) {
    const uint32_t max_passes = options_.passes + kModePasses;
    const uint32_t pass = st.pass++;
    std::vector<size_t> todo;  // this pass's blocks, in order
    for (size_t i = st.begin; i < st.end; ++i)
      if (!st.delivered[i - st.begin]) todo.push_back(i);
    // todo[done] is the oldest block sent and not received, todo[sent]
    // the next to send.
    for (size_t done = 0, sent = 0; done < todo.size() && !cancelled();) {
      while (!slot.worker || !slot.worker->alive() ||
             (slot.sent >= options_.worker_blocks && slot.worker->in_flight() == 0)) {
        slot.worker.reset();
        sent = done;  // the blocks sent after one that ended a worker never ran
        slot.sent = 0;
        try {
          slot.worker = std::make_unique<WorkerProcess>(options_, slot.cpu, host_.has_avx);
          accept_start(slot.worker->reference_check(), slot.worker->canary_baseline());
          failed_in_a_row = 0;  // the limits below are on failures in a row
        } catch (const StartError& e) {
          slot.worker.reset();  // also one that started but was refused
          // A self-check that other load may have spoiled is tried
          // again after waits of 0.5, 1, 2, ... (options_.start_retries
          // waits: 7 = ~1 min in all); any other failure three times,
          // after waits of 0.5 and 1 s (a burst of other load outlasts
          // three start-ups made at once).
          ++failed_in_a_row;
          if (!e.retryable() ? failed_in_a_row >= 3 : failed_in_a_row > static_cast<int>(options_.start_retries))
            throw std::runtime_error("on " + host_.identity() + ": " + e.what());
          for (double w = 0; w < 0.5 * (1 << (failed_in_a_row - 1)) && !cancelled(); w += 0.1)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (cancelled()) return;
      }
      // One block waits in the socket while the worker measures
      // another (WorkerProcess::send).
      for (; sent < todo.size() && sent - done < kBlocksInFlight && slot.sent < options_.worker_blocks;
           ++sent, ++slot.sent) {
        const size_t i = todo[sent];
        slot.worker->send(
            blocks[i], clean_canary(),
            rip_displacements.empty() ? std::span<const RipDisplacement>{} : std::span(rip_displacements[i]));
      }
      if (slot.worker->in_flight() == 0) continue;  // this worker's share is done: the next one starts
      const size_t i = todo[done++];
      std::vector<Measurement>& p = st.passes[i - st.begin];
      p.push_back(slot.worker->receive(options_.block_timeout_seconds));
      st.pids[i - st.begin].push_back(slot.worker->pid());
      // A worker whose block code runs slowly gets no more blocks: the
      // next start is a fresh process (recent_repetitions.h).
      if (p.back().retire_worker) slot.sent = std::max(slot.sent, options_.worker_blocks);
      const std::vector<double> figures = figures_of(p);
      // A measured pass, or one given up as disturbed, may be followed
      // by another; a faulting, hanging or too long block not.
      const bool more = (!figures.empty() || worth_another_pass(p.back())) && pass + 1 < max_passes &&
                        (pass + 1 < options_.passes || lone_pass(p, figures.size(), options_.passes) ||
                         modes_unsettled(figures, kTwoModeGap, kModeAgreement));
      if (!more) {
        st.delivered[i - st.begin] = 1;
        deliver(i, result_of_passes(p, st.pids[i - st.begin], options_.passes));
      }
    }
  };

  auto pool_thread = [&](unsigned thread) {
    WorkerSlot slots[2];
    for (int k = 0; k < 2; ++k) {
      slots[k].id = static_cast<int>(2 * thread) + k;
      slots[k].cpu = options_.pin_workers && !cpus_.empty() ? cpus_[thread % cpus_.size()] : -1;
    }
    // The slot of this thread that did not run batch `st`'s last pass.
    auto other_slot = [&](const BatchPasses& st) -> WorkerSlot& { return slots[st.last_slot == slots[0].id]; };
    int failed_in_a_row = 0;
    try {
      for (;;) {
        size_t b = 0;
        WorkerSlot* slot = nullptr;
        {
          std::unique_lock<std::mutex> lock(queue_mutex);
          for (;;) {
            if (cancelled()) return;
            auto from_other = ready.end(), own = ready.end();  // the oldest of each kind
            size_t own_waiting = 0;
            for (auto it = ready.begin(); it != ready.end(); ++it) {
              if (states[*it].last_thread != static_cast<int>(thread)) {
                if (from_other == ready.end()) from_other = it;
              } else {
                if (own == ready.end()) own = it;
                ++own_waiting;
              }
            }
            auto take = [&](std::deque<size_t>::iterator it) {
              b = *it;
              slot = &other_slot(states[b]);
              ready.erase(it);
            };
            if (from_other != ready.end()) {
              take(from_other);
            } else if (own != ready.end() && (own_waiting > kOwnBacklog || started == batches)) {
              take(own);
            } else if (started < batches) {
              b = started++;
              BatchPasses& st = states[b];
              st.begin = b * batch, st.end = std::min(blocks.size(), (b + 1) * batch);
              st.passes.resize(st.end - st.begin);
              st.pids.resize(st.end - st.begin);
              st.delivered.assign(st.end - st.begin, 0);
              slot = &slots[0];
            } else if (ready.empty() && running == 0) {
              return;  // every batch is done
            }
            if (slot) break;
            queue_changed.wait_for(lock, std::chrono::milliseconds(100));
          }
          ++running;
        }
        BatchPasses& st = states[b];
        run_pass(*slot, st, failed_in_a_row);
        {
          std::lock_guard<std::mutex> lock(queue_mutex);
          --running;
          st.last_slot = slot->id;
          st.last_thread = static_cast<int>(thread);
          const bool open = std::find(st.delivered.begin(), st.delivered.end(), 0) != st.delivered.end();
          if (open && !cancelled()) ready.push_back(b);
        }
        queue_changed.notify_all();
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(deliver_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
      queue_changed.notify_all();
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(pool_thread, t);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return results;
}

}  // namespace surrogate::measure
