#include "apps/coordinate_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>

#include "mca/simulator.h"
#include "util/atomic_file.h"
#include "util/parallel.h"

namespace surrogate::apps {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Steps in one direction that change no error before the search gives up on it.
constexpr unsigned kFlatSteps = 4;
// Seconds between state saves while a sweep goes on.
constexpr double kSaveEverySeconds = 2;
// Seconds between progress lines within a sweep.
constexpr double kProgressEverySeconds = 30;

// Simulates rows (all when `rows` is null) under `params` into out[row];
// false when the parameters cannot be materialised or a block fails.
bool simulate_rows(const mca::CpuParams& params, const BlockSet& set, const std::vector<std::uint32_t>* rows,
                   unsigned jobs, std::vector<double>& out) {
  std::unique_ptr<mca::Simulator> sim;
  try {
    sim = std::make_unique<mca::Simulator>(params);
  } catch (const std::exception&) {
    return false;
  }
  const std::size_t n = rows ? rows->size() : set.blocks.size();
  std::atomic<bool> ok{true};
  util::parallel_for(n, jobs, [&](std::size_t k, unsigned) {
    const std::size_t row = rows ? (*rows)[k] : k;
    try {
      out[row] = sim->throughput(set.blocks[row]);
    } catch (const std::exception&) {
      ok = false;
    }
  });
  return ok;
}

struct State {
  std::vector<double> values, best_values;
  double best_validation = kInfinity, validation_stock = kNan;
  unsigned sweep = 0;
  std::size_t next_field = 0, moves = 0, moves_this_sweep = 0;
  std::uint64_t simulations = 0;
  double seconds = 0;
  std::string stop_reason;  // set once the search has ended
};

void save(const State& s, const SearchOptions& o) {
  if (o.state_path.empty()) return;
  nlohmann::json j = {{"format", "surrogate-coordinate-search"},
                      {"version", 1},
                      {"fingerprint", o.fingerprint},
                      {"values", s.values},
                      {"best_values", s.best_values},
                      {"best_validation", s.best_validation},
                      {"validation_stock", s.validation_stock},
                      {"sweep", s.sweep},
                      {"next_field", s.next_field},
                      {"moves", s.moves},
                      {"moves_this_sweep", s.moves_this_sweep},
                      {"simulations", s.simulations},
                      {"seconds", s.seconds},
                      {"stop_reason", s.stop_reason}};
  util::write_file_atomically(o.state_path, j.dump() + "\n");
}

// The saved state of this search, if there is one that matches.
bool load(State& s, const SearchOptions& o, std::size_t fields, std::ostream& log) {
  if (o.state_path.empty() || !std::filesystem::exists(o.state_path)) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(util::read_file(o.state_path));
    if (j.at("fingerprint") != o.fingerprint) {
      log << o.state_path << ": state of another search, starting afresh\n";
      return false;
    }
    State r;
    r.values = j.at("values").get<std::vector<double>>();
    r.best_values = j.at("best_values").get<std::vector<double>>();
    if (r.values.size() != fields || r.best_values.size() != fields) throw std::runtime_error("field count");
    r.best_validation = j.at("best_validation").is_null() ? kInfinity : j.at("best_validation").get<double>();
    r.validation_stock = j.at("validation_stock").is_null() ? kNan : j.at("validation_stock").get<double>();
    r.sweep = j.at("sweep");
    r.next_field = j.at("next_field");
    r.moves = j.at("moves");
    r.moves_this_sweep = j.at("moves_this_sweep");
    r.simulations = j.at("simulations");
    r.seconds = j.at("seconds");
    r.stop_reason = j.at("stop_reason");
    if (r.stop_reason == "interrupted") r.stop_reason.clear();  // go on
    s = std::move(r);
    return true;
  } catch (const std::exception& e) {
    log << o.state_path << ": unreadable state (" << e.what() << "), starting afresh\n";
    return false;
  }
}

}  // namespace

double summed_relative_error(const std::vector<double>& predicted, const BlockSet& set,
                             const std::vector<std::uint32_t>* rows) {
  auto error = [&](std::size_t b) { return std::abs(predicted[b] - set.measured[b]) / set.measured[b]; };
  double sum = 0;
  if (rows)
    for (std::uint32_t b : *rows) sum += error(b);
  else
    for (std::size_t b = 0; b < set.measured.size(); ++b) sum += error(b);
  return sum;
}

double mean_relative_error(const std::vector<double>& predicted, const BlockSet& set,
                           const std::vector<std::uint32_t>* rows) {
  const std::size_t n = rows ? rows->size() : set.measured.size();
  return n == 0 ? 0 : summed_relative_error(predicted, set, rows) / static_cast<double>(n);
}

std::vector<double> simulate_all(const mca::CpuParams& params, std::span<const block::BasicBlock> blocks,
                                 unsigned jobs) {
  std::vector<double> out(blocks.size(), kNan);
  const mca::Simulator sim(params);
  util::parallel_for(blocks.size(), jobs, [&](std::size_t i, unsigned) {
    try {
      out[i] = sim.throughput(blocks[i]);
    } catch (const mca::SimulationError&) {
    }
  });
  return out;
}

SearchResult coordinate_search(const SearchProblem& p, const SearchOptions& o, std::ostream& log,
                               const std::function<bool()>& cancel) {
  const mca::ParameterLayout& layout = *p.layout;
  const std::vector<mca::ParameterField>& fields = layout.fields();
  const std::vector<double> start = layout.values(*p.stock);
  const BlockSet& train = *p.train;
  const BlockSet empty;
  const BlockSet& validation = p.validation ? *p.validation : empty;
  if (p.affected.size() != fields.size() || p.weight.size() != fields.size())
    throw std::invalid_argument("coordinate_search: affected and weight need one entry per field");
  const auto began = std::chrono::steady_clock::now();

  State s;
  const bool resumed = load(s, o, fields.size(), log);
  const double seconds_before = s.seconds;
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  };

  // Predictions under LLVM's values and under the current ones. Re-simulating
  // them after a resume is not counted: an uninterrupted run did not need it.
  SearchResult r;
  r.train_stock.assign(train.blocks.size(), kNan);
  if (!simulate_rows(*p.stock, train, nullptr, o.jobs, r.train_stock))
    throw std::runtime_error("a training block cannot be simulated under LLVM's own values");
  std::vector<double> current = r.train_stock;
  if (resumed) {
    log << "coordinate search: resuming at sweep " << s.sweep + 1 << ", field " << s.next_field << " of "
        << fields.size() << " (" << s.simulations << " simulations done)\n";
    if (!simulate_rows(layout.apply(*p.stock, s.values), train, nullptr, o.jobs, current))
      throw std::runtime_error(o.state_path + ": its values cannot be simulated; delete it to start afresh");
  } else {
    s.values = start;
    s.best_values = start;
    s.simulations = train.blocks.size();
    std::vector<double> v(validation.blocks.size(), kNan);
    if (!validation.blocks.empty()) {
      if (!simulate_rows(*p.stock, validation, nullptr, o.jobs, v))
        throw std::runtime_error("a validation block cannot be simulated under LLVM's own values");
      s.simulations += validation.blocks.size();
      s.validation_stock = s.best_validation = mean_relative_error(v, validation);
    }
  }

  auto out_of_budget = [&]() -> const char* {
    if (cancel && cancel()) return "interrupted";
    if (o.budget_simulations && s.simulations >= o.budget_simulations) return "simulation budget";
    if (o.max_seconds > 0 && elapsed() >= o.max_seconds) return "time budget";
    return nullptr;
  };
  auto end_of_sweep = [&](bool whole) {
    if (!validation.blocks.empty()) {
      std::vector<double> v(validation.blocks.size(), kNan);
      const bool ok = simulate_rows(layout.apply(*p.stock, s.values), validation, nullptr, o.jobs, v);
      s.simulations += validation.blocks.size();
      const double mape = ok ? mean_relative_error(v, validation) : kInfinity;
      if (mape < s.best_validation) {
        s.best_validation = mape;
        s.best_values = s.values;
      }
      log << "coordinate search: sweep " << s.sweep + 1 << (whole ? "" : " (stopped midway)") << ": "
          << s.moves_this_sweep << " moves, train MAPE " << 100 * mean_relative_error(current, train)
          << "%, validation MAPE " << 100 * mape << "% (best " << 100 * s.best_validation << "%), " << s.simulations
          << " simulations, " << elapsed() << " s\n";
    } else {
      s.best_values = s.values;
    }
  };

  double last_save = elapsed(), last_progress = elapsed();
  std::vector<double> trial(train.blocks.size(), kNan);
  while (s.stop_reason.empty()) {
    if (s.sweep >= o.max_sweeps) {
      s.stop_reason = "max sweeps";
      break;
    }
    for (; s.next_field < fields.size(); ++s.next_field) {
      if (const char* why = out_of_budget()) {
        s.stop_reason = why;
        break;
      }
      const std::size_t i = s.next_field;
      const std::vector<std::uint32_t>* rows = p.affected[i].empty() ? nullptr : &p.affected[i];
      const double value = s.values[i];
      const double current_error = summed_relative_error(current, train, rows);
      // The change of the objective (error + penalty) for `candidate`.
      auto try_value = [&](double candidate, double& error_change) {
        std::vector<double> values = s.values;
        values[i] = candidate;
        const std::size_t n = rows ? rows->size() : train.blocks.size();
        s.simulations += n;
        if (!simulate_rows(layout.apply(*p.stock, values), train, rows, o.jobs, trial)) return kInfinity;
        error_change = summed_relative_error(trial, train, rows) - current_error;
        return error_change + p.weight[i] * (std::abs(candidate - start[i]) - std::abs(value - start[i]));
      };
      double best_change = -1e-9, best_value = value;
      std::vector<double> best_trial;
      // A field is visited whole or not at all: a budget or cancel() met
      // midway leaves it (and its simulations) to the next run.
      const std::uint64_t simulations_before = s.simulations;
      const char* abandoned = nullptr;
      for (const int direction : {+1, -1}) {
        double previous_error_change = 0;
        unsigned flat = 0;
        for (long long step = 1;; step *= 2) {
          const double candidate = std::clamp(value + direction * static_cast<double>(step),
                                              static_cast<double>(fields[i].min), static_cast<double>(fields[i].max));
          if (candidate == value) break;
          if ((abandoned = out_of_budget())) break;
          double error_change = kInfinity;
          const double change = try_value(candidate, error_change);
          if (change < best_change) {
            best_change = change;
            best_value = candidate;
            best_trial = trial;
          }
          if (!(error_change <= previous_error_change + 1e-12)) break;  // worse than the step before
          flat = error_change < previous_error_change - 1e-12 ? 0 : flat + 1;
          if (flat >= kFlatSteps) break;
          previous_error_change = error_change;
          if (candidate == fields[i].min || candidate == fields[i].max) break;
        }
        if (abandoned || best_value != value) break;  // the first direction helped: no need to try the other
      }
      if (abandoned) {
        s.simulations = simulations_before;
        s.stop_reason = abandoned;
        break;
      }
      if (best_value != value) {
        s.values[i] = best_value;
        if (rows)
          for (std::uint32_t b : *rows) current[b] = best_trial[b];
        else
          current = best_trial;
        ++s.moves;
        ++s.moves_this_sweep;
      }
      if (elapsed() - last_progress >= kProgressEverySeconds) {
        log << "coordinate search: sweep " << s.sweep + 1 << ": field " << i + 1 << " of " << fields.size() << ", "
            << s.moves_this_sweep << " moves, train MAPE " << 100 * mean_relative_error(current, train) << "%, "
            << s.simulations << " simulations, " << elapsed() << " s\n";
        last_progress = elapsed();
      }
      if (elapsed() - last_save >= kSaveEverySeconds) {
        State saved = s;
        saved.next_field = i + 1;
        saved.seconds = elapsed();
        save(saved, o);
        last_save = elapsed();
      }
    }
    if (!s.stop_reason.empty()) break;
    end_of_sweep(true);
    const bool converged = s.moves_this_sweep == 0;
    ++s.sweep;
    s.next_field = 0;
    s.moves_this_sweep = 0;
    if (converged) s.stop_reason = "converged";
    s.seconds = elapsed();
    save(s, o);
    last_save = elapsed();
  }
  // A budget ended a sweep midway: its values are judged too.
  if (s.stop_reason != "interrupted" && s.next_field != 0) {
    end_of_sweep(false);
    s.next_field = 0;
  }
  s.seconds = elapsed();
  save(s, o);

  r.interrupted = s.stop_reason == "interrupted";
  r.values = s.best_values;
  r.validation_stock = s.validation_stock;
  r.validation_final = s.best_validation;
  r.simulations = s.simulations;
  r.sweeps = s.sweep;
  r.moves = s.moves;
  r.seconds = s.seconds;
  r.stop_reason = s.stop_reason;
  r.train_final.assign(train.blocks.size(), kNan);
  if (!r.interrupted) simulate_rows(layout.apply(*p.stock, r.values), train, nullptr, o.jobs, r.train_final);
  return r;
}

}  // namespace surrogate::apps
