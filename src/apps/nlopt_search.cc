#include "apps/nlopt_search.h"

#include <nlopt.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace surrogate::apps {
namespace {

struct Objective {
  const SearchProblem* p = nullptr;
  const SearchOptions* o = nullptr;
  const std::function<bool()>* cancel = nullptr;
  std::ostream* log = nullptr;
  BlockSet sample;
  std::vector<double> start;
  nlopt_opt opt = nullptr;
  std::uint64_t simulations = 0, evaluations = 0;
  double best = std::numeric_limits<double>::infinity();
  std::chrono::steady_clock::time_point began, last_progress;
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(); }
};

double evaluate(unsigned n, const double* x, double*, void* data) {
  Objective& f = *static_cast<Objective*>(data);
  if ((*f.cancel && (*f.cancel)()) || (f.o->budget_simulations && f.simulations >= f.o->budget_simulations) ||
      (f.o->max_seconds > 0 && f.elapsed() >= f.o->max_seconds)) {
    nlopt_force_stop(f.opt);
    return std::numeric_limits<double>::infinity();
  }
  const std::vector<double> values = f.p->layout->project(std::vector<double>(x, x + n));
  const std::vector<double> cycles = simulate_all(f.p->layout->apply(*f.p->stock, values), f.sample.blocks, f.o->jobs);
  f.simulations += f.sample.blocks.size();
  ++f.evaluations;
  double penalty = 0;
  for (unsigned i = 0; i < n; ++i) penalty += f.p->weight[i] * std::abs(values[i] - f.start[i]);
  double error = mean_relative_error(cycles, f.sample);
  if (std::isnan(error)) error = std::numeric_limits<double>::infinity();  // the simulator refused a block
  const double value = error + penalty / static_cast<double>(f.p->train->blocks.size());
  f.best = std::min(f.best, value);
  if (std::chrono::steady_clock::now() - f.last_progress > std::chrono::seconds(30)) {
    f.last_progress = std::chrono::steady_clock::now();
    *f.log << "nlopt search: " << f.evaluations << " evaluations, " << f.simulations << " simulations, best "
           << std::fixed << std::setprecision(2) << 100 * f.best << "% (" << std::setprecision(0) << f.elapsed()
           << " s)\n";
  }
  return value;
}

}  // namespace

SearchResult nlopt_search(const SearchProblem& p, const SearchOptions& o, const NloptOptions& nl, std::ostream& log,
                          const std::function<bool()>& cancel) {
  const mca::ParameterLayout& layout = *p.layout;
  const std::size_t n = layout.size();
  const BlockSet& train = *p.train;
  const BlockSet empty;
  const BlockSet& validation = p.validation ? *p.validation : empty;
  if (p.weight.size() != n) throw std::invalid_argument("nlopt_search: one weight per field");
  Objective f;
  f.p = &p;
  f.o = &o;
  f.cancel = &cancel;
  f.log = &log;
  f.began = f.last_progress = std::chrono::steady_clock::now();
  f.start = layout.values(*p.stock);
  // A fixed sample of the training blocks: every k-th.
  const std::size_t step = std::max<std::size_t>(1, train.blocks.size() / std::max<std::size_t>(1, nl.sample_blocks));
  for (std::size_t b = 0; b < train.blocks.size() && f.sample.blocks.size() < nl.sample_blocks; b += step) {
    f.sample.blocks.push_back(train.blocks[b]);
    f.sample.measured.push_back(train.measured[b]);
  }
  SearchResult r;
  r.train_stock = simulate_all(*p.stock, train.blocks, o.jobs);
  r.simulations += train.blocks.size();
  for (double c : r.train_stock)
    if (std::isnan(c)) throw std::runtime_error("a training block cannot be simulated under LLVM's own values");

  const auto box = mca::sampler_reach(layout, f.start, nl.box);
  std::vector<double> lo, hi, x = f.start, step_size;
  for (std::size_t i = 0; i < n; ++i) {
    lo.push_back(box[i].first);
    hi.push_back(box[i].second);
    step_size.push_back(std::max(1.0, (box[i].second - box[i].first) / 4));
  }
  f.opt = nlopt_create(NLOPT_LN_SBPLX, static_cast<unsigned>(n));
  if (!f.opt) throw std::runtime_error("nlopt: cannot create the optimiser");
  nlopt_set_min_objective(f.opt, evaluate, &f);
  nlopt_set_lower_bounds(f.opt, lo.data());
  nlopt_set_upper_bounds(f.opt, hi.data());
  nlopt_set_initial_step(f.opt, step_size.data());
  nlopt_set_xtol_abs1(f.opt, 0.5);  // below half a unit every candidate rounds to the same integers
  double minimum = 0;
  const nlopt_result status = nlopt_optimize(f.opt, x.data(), &minimum);
  nlopt_destroy(f.opt);
  r.simulations += f.simulations;
  r.sweeps = static_cast<unsigned>(f.evaluations);
  r.interrupted = cancel && cancel();
  r.stop_reason = r.interrupted                                                   ? "interrupted"
                  : o.budget_simulations && f.simulations >= o.budget_simulations ? "simulation budget"
                  : o.max_seconds > 0 && f.elapsed() >= o.max_seconds             ? "time budget"
                  : status > 0                                                    ? "converged"
                                                                                  : "nlopt failed";
  if (r.interrupted) return r;

  // NLopt keeps the best point it evaluated in x; judge it against LLVM's values on validation.
  const std::vector<double> best = layout.project(x);
  auto validation_mape = [&](const std::vector<double>& values) {
    r.simulations += validation.blocks.size();
    const double e =
        mean_relative_error(simulate_all(layout.apply(*p.stock, values), validation.blocks, o.jobs), validation);
    return std::isnan(e) ? std::numeric_limits<double>::infinity() : e;
  };
  r.validation_stock = validation_mape(f.start);
  const double v_best = best == f.start ? r.validation_stock : validation_mape(best);
  r.values = v_best < r.validation_stock ? best : f.start;
  r.validation_final = std::min(v_best, r.validation_stock);
  for (std::size_t i = 0; i < n; ++i) r.moves += r.values[i] != f.start[i];
  r.train_final =
      r.values == f.start ? r.train_stock : simulate_all(layout.apply(*p.stock, r.values), train.blocks, o.jobs);
  if (r.values != f.start) r.simulations += train.blocks.size();
  r.seconds = f.elapsed();
  std::ostringstream summary;
  summary << "nlopt (Subplex) on the simulator: " << f.evaluations << " evaluations of " << f.sample.blocks.size()
          << " training blocks each, inside the gradient sampler's box; best point's validation MAPE " << std::fixed
          << std::setprecision(2) << 100 * v_best << "%";
  r.summary = summary.str();
  log << "nlopt search: " << r.summary << " (" << std::setprecision(0) << r.seconds << " s)\n";
  return r;
}

}  // namespace surrogate::apps
