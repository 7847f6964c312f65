#include "apps/compile.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <sstream>

#include "apps/surrogate_training.h"
#include "block/decoder.h"
#include "dataset/metrics.h"
#include "mca/simulator_labeller.h"
#include "runtime/predictor.h"
#include "util/atomic_file.h"
#include "util/input_error.h"
#include "util/parallel.h"

namespace surrogate::apps {
namespace {

using Clock = std::chrono::steady_clock;

std::string format_table_markdown(const CompileSpec& spec, const CompileResult& r) {
  std::string s =
      "| width | depth | parameters | epochs | training [s] | validation MAPE | test MAPE | Kendall tau | "
      "deployed blocks/s | simulator blocks/s | speed-up | meets " +
      std::to_string(spec.max_error * 100).substr(0, 4) + "% |\n";
  s += "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|\n";
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const CapacityRow& c = r.rows[i];
    char line[400];
    std::snprintf(line, sizeof line,
                  "| %lld | %lld | %lld | %d | %.0f | %.2f%% | %.2f%% | %.3f | %.0f | %.0f | %.1fx | %s%s |\n",
                  (long long)c.width, (long long)c.depth, (long long)c.parameters, c.epochs, c.training_seconds,
                  100 * c.validation_mape, 100 * c.test_mape, c.kendall_tau, c.blocks_per_second,
                  c.simulator_blocks_per_second, c.blocks_per_second / c.simulator_blocks_per_second,
                  c.meets ? "yes" : "no", static_cast<int>(i) == r.chosen ? " (chosen)" : "");
    s += line;
  }
  return s;
}

std::string format_table_csv(const CompileResult& r) {
  std::string s =
      "width,depth,parameters,epochs,training_seconds,validation_mape,test_mape,kendall_tau,"
      "blocks_per_second,simulator_blocks_per_second,speedup,meets,chosen\n";
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const CapacityRow& c = r.rows[i];
    char line[300];
    std::snprintf(line, sizeof line, "%lld,%lld,%lld,%d,%.1f,%.5f,%.5f,%.4f,%.0f,%.0f,%.2f,%d,%d\n", (long long)c.width,
                  (long long)c.depth, (long long)c.parameters, c.epochs, c.training_seconds, c.validation_mape,
                  c.test_mape, c.kendall_tau, c.blocks_per_second, c.simulator_blocks_per_second,
                  c.blocks_per_second / c.simulator_blocks_per_second, c.meets, static_cast<int>(i) == r.chosen);
    s += line;
  }
  return s;
}

}  // namespace

std::unique_ptr<mca::Labeller> program_labeller(const CompileSpec& spec) {
  return std::make_unique<mca::SimulatorLabeller>(mca::CpuParams::stock(spec.cpu), spec.iterations,
                                                  "-mcpu=" + spec.cpu);
}

namespace {

// The program's speed on the blocks, one thread, blocks per second; blocks it
// cannot label are timed all the same (their cost is the program's).
double program_speed(const mca::Labeller& program, const std::vector<block::BasicBlock>& blocks) {
  auto t0 = Clock::now();
  for (const block::BasicBlock& b : blocks) {
    try {
      program.label(b);
    } catch (const mca::LabelError&) {
    }
  }
  return blocks.size() / std::chrono::duration<double>(Clock::now() - t0).count();
}

// Seconds of training in the log beside `model` (PREFIX.log.csv: the model
// file holds no timings, so identical trainings give identical bytes); 0
// when there is no log.
double logged_training_seconds(const std::string& model) {
  const std::string log = model.substr(0, model.size() - std::string(".srg").size()) + ".log.csv";
  std::ifstream in(log);
  std::string line;
  double seconds = 0;
  if (!std::getline(in, line)) return 0;  // header: epoch,train_mape,validation_mape,learning_rate,seconds,...
  while (std::getline(in, line)) {
    std::size_t at = 0;
    for (int comma = 0; comma < 4 && at != std::string::npos; ++comma) at = line.find(',', at + 1);
    if (at != std::string::npos) seconds += std::atof(line.c_str() + at + 1);
  }
  return seconds;
}

// The figures of a width trained by an earlier run of this compile, from its
// model's metadata (and its log, for the time).
void reuse_trained(const CompileSpec& spec, CapacityRow& row) {
  nlohmann::json m = runtime::read_model_file(row.model).metadata();
  if (m.value("labels_file", "") != spec.labels)
    throw std::runtime_error(row.model + " was trained on " + m.value("labels_file", "other labels") + ", not " +
                             spec.labels + "; remove it or choose another output.dir");
  row.epochs = m.value("epochs", 0);
  row.training_seconds = logged_training_seconds(row.model);
  row.validation_mape = m.value("validation_mape", 0.0);
  row.test_mape = m.value("test_mape", 0.0);
}

// A trained width's deployed cost and ranking on the test blocks: best of
// three passes, each with a fresh (cold-cache) predictor.
void measure_deployed(CapacityRow& row, const std::vector<block::BasicBlock>& test_blocks,
                      const std::vector<double>& test_truth) {
  runtime::ModelFile file = runtime::read_model_file(row.model);
  for (const auto& [name, v] : file.tensors) row.parameters += static_cast<std::int64_t>(v.size());
  std::vector<double> predicted;
  double best_seconds = INFINITY;
  for (int pass = 0; pass < 3; ++pass) {
    runtime::Predictor predictor(file);
    predicted.clear();
    predicted.reserve(test_blocks.size());
    auto t0 = Clock::now();
    for (const block::BasicBlock& b : test_blocks) predicted.push_back(predictor.predict(b));
    best_seconds = std::min(best_seconds, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  row.blocks_per_second = test_blocks.size() / best_seconds;
  row.kendall_tau = dataset::kendall_tau_b(predicted, test_truth);
}

// The chosen width, or when none met the bound the most accurate one; -1 when
// no width was trained.
int exported_row(const CompileResult& result) {
  if (result.chosen >= 0 || result.rows.empty()) return result.chosen;
  auto most_accurate = std::min_element(result.rows.begin(), result.rows.end(), [](const auto& a, const auto& b) {
    return a.validation_mape < b.validation_mape;
  });
  return static_cast<int>(most_accurate - result.rows.begin());
}

}  // namespace

CompileResult compile(const CompileSpec& spec, const mca::Labeller& program, std::ostream& log,
                      const std::atomic<bool>* cancel) {
  std::filesystem::create_directories(spec.output_dir);
  PreparedData data = prepare_data(spec.labels, spec.frontend, std::max(1u, spec.jobs), log);
  std::vector<const dataset::EncodedBlock*> test_rows = data.of(dataset::Split::kTest);
  std::vector<block::BasicBlock> test_blocks = data.decoded(test_rows);
  const std::vector<double> test_truth = throughputs_of(test_rows);

  // The reference cost: the program on the same blocks, one thread.
  const double simulator_speed = program_speed(program, test_blocks);
  char line[160];
  std::snprintf(line, sizeof line, "simulator (%s, one thread): %.0f blocks/s on %zu test blocks\n", spec.cpu.c_str(),
                simulator_speed, test_blocks.size());
  log << line;

  CompileResult result;
  std::mutex mutex;  // guards log and result
  nn::TrainOptions options = spec.training;
  options.max_seconds = spec.max_minutes * 60;
  options.threads = 1;
  for (std::size_t first = 0; first < spec.widths.size() && result.chosen < 0; first += spec.jobs) {
    std::size_t last = std::min(spec.widths.size(), first + spec.jobs);
    std::vector<CapacityRow> rows(last - first);
    // Once a width of this round meets the bound, wider ones of the round
    // cannot be the answer: their training stops (checkpointed, left out of
    // the table).
    std::atomic<std::int64_t> narrowest_meeting{INT64_MAX};
    std::vector<char> superseded(rows.size(), 0);  // char, not bool: written from several threads
    // All widths of the round at once, one thread each; the first error is
    // rethrown once every width has stopped.
    util::parallel_for(rows.size(), static_cast<unsigned>(rows.size()), [&](std::size_t k, unsigned) {
      std::int64_t width = spec.widths[first + k];
      std::string prefix = spec.output_dir + "/w" + std::to_string(width) + "d" + std::to_string(spec.depth);
      CapacityRow& row = rows[k];
      row.width = width;
      row.depth = spec.depth;
      row.model = prefix + ".srg";
      if (std::filesystem::exists(row.model)) {
        reuse_trained(spec, row);
        std::lock_guard lock(mutex);
        log << row.model << ": trained earlier, reused\n";
      } else {
        std::ostringstream width_log;
        TrainedSurrogate t =
            train_surrogate(data, nn::LstmShape{0, width, spec.depth, 0, 0}, options, prefix, width_log,
                            [&, width] { return (cancel && cancel->load()) || narrowest_meeting.load() < width; });
        {
          std::lock_guard lock(mutex);
          log << width_log.str();
        }
        if (t.result.interrupted) {
          superseded[k] = !(cancel && cancel->load());
          if (superseded[k]) {
            std::lock_guard lock(mutex);
            log << prefix << ": stopped, a narrower width met the bound\n";
          }
          return;
        }
        row.epochs = static_cast<int>(t.result.epochs.size());
        row.training_seconds = t.training_seconds;
        row.validation_mape = t.validation_mape;
        row.test_mape = t.test_mape;
      }
      if (row.validation_mape <= spec.max_error) {
        std::int64_t seen = narrowest_meeting.load();
        while (width < seen && !narrowest_meeting.compare_exchange_weak(seen, width)) {
        }
      }
    });
    if (cancel && cancel->load()) {
      result.interrupted = true;
      return result;
    }
    // Deployed cost and ranking, measured after training so that no training
    // thread shares the machine with the timing.
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (superseded[k]) continue;
      CapacityRow& row = rows[k];
      measure_deployed(row, test_blocks, test_truth);
      row.simulator_blocks_per_second = simulator_speed;
      row.meets = row.validation_mape <= spec.max_error;
      result.rows.push_back(row);
      if (row.meets && result.chosen < 0) result.chosen = static_cast<int>(result.rows.size()) - 1;
    }
    util::write_file_atomically(spec.output_dir + "/capacity.csv", format_table_csv(result));
    util::write_file_atomically(spec.output_dir + "/capacity.md", format_table_markdown(spec, result));
  }
  const int exported = exported_row(result);
  if (exported >= 0 && !spec.output_model.empty()) {
    std::filesystem::path out(spec.output_model);
    if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
    util::write_file_atomically(spec.output_model, util::read_file(result.rows[exported].model));
  }
  return result;
}

}  // namespace surrogate::apps
