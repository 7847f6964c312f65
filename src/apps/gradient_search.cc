#include "apps/gradient_search.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "apps/parameter_surrogate.h"
#include "apps/table_samples.h"
#include "block/dependencies.h"
#include "block/tokenizer.h"
#include "block/vocabulary.h"
#include "dataset/encoded_dataset.h"
#include "dataset/parameter_rows.h"
#include "mca/simulator.h"
#include "nn/batch.h"
#include "nn/hierarchical_lstm.h"
#include "nn/trainer.h"
#include "util/atomic_file.h"
#include "util/parallel.h"
#include "util/result_journal.h"

namespace surrogate::apps {
namespace {

// What survives a round (and a kill): the search's position.
struct RoundState {
  unsigned rounds_done = 0;
  std::vector<double> centre, best;
  double validation_stock = 0, validation_best = 0;
  std::uint64_t simulations = 0;
  unsigned epochs = 0;
  double seconds = 0;
  std::string summary;
  unsigned shrinks = 0;  // rounds without a better candidate so far: each halves the region (log scale)
  bool stalled = false;  // more than kMaxShrinks of them
};
constexpr unsigned kMaxShrinks = 2;

std::string model_bytes(nn::HierarchicalLstm& model) {
  torch::serialize::OutputArchive a;
  model->save(a);
  std::ostringstream s;
  a.save_to(s);
  return s.str();
}

void save_round(const std::string& path, const std::string& fingerprint, const RoundState& s,
                nn::HierarchicalLstm& model) {
  const std::string bytes = model_bytes(model);
  util::write_file_atomically(path + ".model", bytes);
  nlohmann::json j{{"fingerprint", fingerprint},
                   {"model", util::fingerprint_of(bytes)},
                   {"rounds_done", s.rounds_done},
                   {"centre", s.centre},
                   {"best", s.best},
                   {"validation_stock", s.validation_stock},
                   {"validation_best", s.validation_best},
                   {"simulations", s.simulations},
                   {"epochs", s.epochs},
                   {"seconds", s.seconds},
                   {"summary", s.summary},
                   {"shrinks", s.shrinks},
                   {"stalled", s.stalled}};
  util::write_file_atomically(path, j.dump());
}

// The saved state if it belongs to this search and its model file is intact.
bool load_round(const std::string& path, const std::string& fingerprint, std::size_t fields, RoundState& s,
                nn::HierarchicalLstm& model) {
  if (path.empty() || !std::filesystem::exists(path)) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(util::read_file(path));
    const std::string bytes = util::read_file(path + ".model");
    if (j.at("fingerprint") != fingerprint || j.at("model") != util::fingerprint_of(bytes)) return false;
    RoundState t;
    t.rounds_done = j.at("rounds_done");
    t.centre = j.at("centre").get<std::vector<double>>();
    t.best = j.at("best").get<std::vector<double>>();
    if (t.centre.size() != fields || t.best.size() != fields) return false;
    t.validation_stock = j.at("validation_stock");
    t.validation_best = j.at("validation_best");
    t.simulations = j.at("simulations");
    t.epochs = j.at("epochs");
    t.seconds = j.at("seconds");
    t.summary = j.at("summary");
    t.shrinks = j.at("shrinks");
    t.stalled = j.at("stalled");
    torch::serialize::InputArchive a;
    std::istringstream in(bytes);
    a.load_from(in);
    model->load(a);
    s = std::move(t);
    return true;
  } catch (const std::exception&) {
    return false;  // torn or foreign: start again
  }
}

}  // namespace

SearchResult gradient_search(const SearchProblem& p, const SearchOptions& o, const GradientOptions& g,
                             std::ostream& log, const std::function<bool()>& cancel) {
  const mca::ParameterLayout& layout = *p.layout;
  const std::size_t n = layout.size();
  const BlockSet& train = *p.train;
  const BlockSet empty;
  const BlockSet& validation = p.validation ? *p.validation : empty;
  if (p.affected.size() != n || p.weight.size() != n)
    throw std::invalid_argument("gradient_search: affected and weight need one entry per field");
  if (g.tables < 10 || g.blocks_per_table < 1 || g.rounds < 1)
    throw std::invalid_argument("gradient_search: too few tables or rounds");
  const auto began = std::chrono::steady_clock::now();
  const unsigned jobs = std::max(1u, o.jobs);
  const std::vector<double> start = layout.values(*p.stock);
  auto simulate_train = [&](const std::vector<double>& values) {
    return simulate_all(layout.apply(*p.stock, values), train.blocks, jobs);
  };
  auto mape = [](const std::vector<double>& predicted, const BlockSet& set) {
    const double e = mean_relative_error(predicted, set);
    return std::isnan(e) ? std::numeric_limits<double>::infinity() : e;  // NaN: the simulator refused a block
  };

  // The surrogate: a shipped one (continued on this problem's data from
  // round 1) or a new one of the training blocks' vocabulary.
  dataset::ParameterRows rows(*p.stock, layout);
  ParameterSurrogate start_from;
  if (!g.surrogate.empty()) {
    start_from = load_parameter_surrogate_of(g.surrogate, p.stock->cpu);
    if (start_from.model->shape().instruction_params != static_cast<std::int64_t>(rows.width()) ||
        start_from.model->shape().global_params != static_cast<std::int64_t>(rows.global_count()))
      throw std::runtime_error(g.surrogate + ": its parameter rows do not match " + p.stock->cpu + "'s");
  } else {
    std::vector<block::InstructionTokens> vocabulary_source;
    for (const block::BasicBlock& b : train.blocks)
      for (block::InstructionTokens& t : block::tokenize_block(b)) vocabulary_source.push_back(std::move(t));
    start_from.vocabulary = block::Vocabulary::build(vocabulary_source);
  }
  const bool shipped = static_cast<bool>(start_from.model);
  std::vector<ConditionedInput> inputs;
  for (const block::BasicBlock& b : train.blocks) inputs.push_back(encode_conditioned(b, start_from.vocabulary, rows));
  // The descent's mini-batches of the measured training blocks (the same in
  // every round): tokens, features, and each instruction's parameter slots
  // as indices into X = [values, constants] (X[n] is the constant 0).
  struct DescentBatch {
    nn::Batch batch;
    torch::Tensor slots;  // [B, I, P] int64
  };
  std::vector<DescentBatch> descent_batches;
  {
    const std::int64_t P = static_cast<std::int64_t>(rows.width());
    for (std::size_t first = 0; first < train.blocks.size(); first += static_cast<std::size_t>(g.batch_size)) {
      const std::size_t last = std::min(train.blocks.size(), first + static_cast<std::size_t>(g.batch_size));
      std::vector<dataset::EncodedBlock> holders(last - first);
      std::vector<const dataset::EncodedBlock*> ptrs;
      for (std::size_t k = first; k < last; ++k) {
        holders[k - first].instructions = inputs[k].instructions;
        holders[k - first].features = inputs[k].features;
        holders[k - first].throughput = static_cast<float>(train.measured[k]);
        ptrs.push_back(&holders[k - first]);
      }
      DescentBatch d;
      d.batch = nn::make_batch(ptrs);
      const std::int64_t B = static_cast<std::int64_t>(ptrs.size()), I = d.batch.instruction_index.size(1);
      d.slots = torch::full({B, I, P}, static_cast<std::int64_t>(n), torch::kInt64);
      auto acc = d.slots.accessor<std::int64_t, 3>();
      for (std::int64_t b = 0; b < B; ++b) {
        const std::vector<std::int32_t>& gather = inputs[first + static_cast<std::size_t>(b)].gather;
        for (std::size_t k = 0; k < gather.size(); ++k)
          acc[b][static_cast<std::int64_t>(k) / P][static_cast<std::int64_t>(k) % P] = gather[k];
      }
      descent_batches.push_back(std::move(d));
    }
  }
  torch::manual_seed(g.seed);
  torch::set_num_threads(static_cast<int>(jobs));
  nn::HierarchicalLstm model =
      shipped ? start_from.model : nn::HierarchicalLstm(conditioned_shape(start_from.vocabulary.size(), g.width, rows));

  const std::string fingerprint = "gradient search v2 " + o.fingerprint + " rounds=" + std::to_string(g.rounds) +
                                  " tables=" + std::to_string(g.tables) +
                                  " per_table=" + std::to_string(g.blocks_per_table) +
                                  " width=" + std::to_string(g.width) + " seed=" + std::to_string(g.seed) +
                                  " surrogate=" + (shipped ? start_from.fingerprint : "new");
  const std::string state_path = o.state_path.empty() ? "" : o.state_path + ".gradient";
  RoundState st;
  const bool resumed = load_round(state_path, fingerprint, n, st, model);
  if (resumed) {
    log << "gradient search: resuming after round " << st.rounds_done << " (validation " << std::fixed
        << std::setprecision(2) << 100 * st.validation_best << "%)\n";
  } else {
    st.centre = st.best = start;
  }
  const double seconds_before = st.seconds;
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  };
  auto out_of_budget = [&] {
    return (o.max_seconds > 0 && elapsed() >= o.max_seconds) ||
           (o.budget_simulations && st.simulations >= o.budget_simulations);
  };

  SearchResult r;
  r.train_stock = simulate_train(start);
  if (!resumed) st.simulations += train.blocks.size();
  for (double c : r.train_stock)
    if (std::isnan(c)) throw std::runtime_error("a training block cannot be simulated under LLVM's own values");
  auto validation_mape = [&](const std::vector<double>& values) {
    st.simulations += validation.blocks.size();
    return mape(simulate_all(layout.apply(*p.stock, values), validation.blocks, jobs), validation);
  };
  if (!resumed) st.validation_stock = st.validation_best = validation_mape(start);

  r.stop_reason = "rounds";
  while (st.rounds_done < g.rounds && !st.stalled) {
    if (out_of_budget()) {
      r.stop_reason = o.max_seconds > 0 && elapsed() >= o.max_seconds ? "time budget" : "simulation budget";
      break;
    }
    const unsigned round = st.rounds_done + 1;
    const double round_began = elapsed();
    const double round_seconds =
        o.max_seconds > 0 ? (o.max_seconds - round_began) / static_cast<double>(g.rounds - st.rounds_done) : 0;

    // The round's region: halved (on a log scale) after each round that found nothing better.
    mca::SamplerOptions sampler = g.sampler;
    const double shrink = std::pow(0.5, static_cast<double>(st.shrinks));
    sampler.max_factor = std::pow(g.sampler.max_factor, shrink);
    sampler.max_step = std::max(1LL, g.sampler.max_step >> st.shrinks);

    // 1. Tables around the centre; the centre itself on every training block.
    const std::vector<double> centre_cycles = st.centre == start ? r.train_stock : simulate_train(st.centre);
    if (st.centre != start) st.simulations += train.blocks.size();
    std::vector<SimulatedTable> tables =
        simulate_sampled_tables(*p.stock, layout, st.centre, sampler, g.tables, g.blocks_per_table, train.blocks,
                                p.affected, mix_seed(g.seed, round), jobs);
    std::size_t samples = 0;
    for (const SimulatedTable& t : tables) samples += t.cycles.size();
    st.simulations += samples;
    log << "gradient search: round " << round << ", " << g.tables << " tables around the centre, " << samples
        << " block simulations under them (" << std::fixed << std::setprecision(0) << elapsed() << " s)\n";

    // 2. The surrogate, trained (round 1) or continued on the round's data.
    std::vector<dataset::EncodedBlock> data;
    data.reserve(samples + train.blocks.size());
    auto add_sample = [&](std::uint32_t b, const std::vector<double>& values, float cycles, dataset::Split split) {
      if (cycles > 0) data.push_back(conditioned_sample(inputs[b], rows, values, cycles, split, b));
    };
    for (std::uint32_t b = 0; b < train.blocks.size(); ++b)
      add_sample(b, st.centre, static_cast<float>(centre_cycles[b]), dataset::Split::kTrain);
    for (std::size_t t = 0; t < g.tables; ++t)
      for (const auto& [b, cycles] : tables[t].cycles)
        add_sample(b, tables[t].table.values, cycles,
                   t % 10 == 9 ? dataset::Split::kValidation : dataset::Split::kTrain);
    tables.clear();
    nn::TrainOptions topts;
    topts.max_epochs = round == 1 && !shipped ? g.surrogate_epochs : g.refine_epochs;
    topts.threads = static_cast<int>(jobs);
    topts.seed = mix_seed(g.seed, round);
    topts.loss = nn::TrainOptions::Loss::kLogError;
    topts.batch_size = 64;
    topts.start_head_at_mean = round == 1 && !shipped;
    if (o.max_seconds > 0) topts.max_seconds = std::max(1.0, round_seconds * g.surrogate_share);
    if (!o.state_path.empty()) {
      topts.checkpoint = o.state_path + ".surrogate";
      topts.config = fingerprint + " round=" + std::to_string(round);
    }
    const nn::TrainResult trained = nn::train(model, data, topts, log, cancel);
    data.clear();
    data.shrink_to_fit();
    if (trained.interrupted) {
      r.interrupted = true;
      r.stop_reason = "interrupted";
      return r;
    }
    log << "gradient search: round " << round << ", surrogate error against the simulator on unseen tables "
        << std::setprecision(2) << 100 * trained.best_validation_mape << "% (" << std::setprecision(0) << elapsed()
        << " s)\n";
    if (round == 1) {
      std::ostringstream summary;
      summary << "surrogate: "
              << (shipped ? g.surrogate + " (made from " + std::to_string(start_from.info.value("samples", 0)) +
                                " simulations) continued"
                          : "width " + std::to_string(g.width) + ", trained in the run")
              << ", " << g.tables << " tables sampled per round, " << samples
              << " block simulations under them in round 1; its error against the simulator on unseen tables "
              << std::fixed << std::setprecision(2) << 100 * trained.best_validation_mape << "% MAPE after round 1";
      st.summary = summary.str();
    }

    // 3-4. Descent from the centre through the frozen surrogate; candidates judged on validation.
    model->eval();
    for (auto& w : model->parameters()) w.set_requires_grad(false);
    const std::vector<std::pair<double, double>> box = mca::sampler_reach(layout, st.centre, sampler);
    // The values are centre + step * u, Adam moving u: a step of u moves a
    // field by about a quarter of its box, so a 100-cycle latency can move as
    // fast (relative to its box) as a 1-cycle one.
    std::vector<float> lo, hi, centre_f, start_f, weight_f, step_f;
    for (std::size_t i = 0; i < n; ++i) {
      step_f.push_back(static_cast<float>(std::max(1.0, (box[i].second - box[i].first) / 4)));
      lo.push_back(static_cast<float>((box[i].first - st.centre[i]) / step_f.back()));
      hi.push_back(static_cast<float>((box[i].second - st.centre[i]) / step_f.back()));
      centre_f.push_back(static_cast<float>(st.centre[i]));
      start_f.push_back(static_cast<float>(start[i]));
      weight_f.push_back(static_cast<float>(p.weight[i]));
    }
    const torch::Tensor lo_t = torch::tensor(lo), hi_t = torch::tensor(hi), start_t = torch::tensor(start_f),
                        weight_t = torch::tensor(weight_f), step_t = torch::tensor(step_f),
                        centre_t = torch::tensor(centre_f);
    const torch::Tensor constants_t =
        torch::tensor(std::vector<float>(rows.constants().begin(), rows.constants().end()));
    const torch::Tensor scale_t = torch::tensor(rows.scale());
    const torch::Tensor global_index = torch::tensor(rows.global_fields()).to(torch::kInt64);
    const torch::Tensor global_scale = torch::tensor(rows.global_scale());
    const std::int64_t P = static_cast<std::int64_t>(rows.width());
    torch::Tensor u = torch::zeros({static_cast<std::int64_t>(n)}).set_requires_grad(true);
    torch::optim::Adam adam({u}, torch::optim::AdamOptions(g.learning_rate * shrink));
    const double n_train = static_cast<double>(train.blocks.size());
    bool improved = false;
    for (int epoch = 1; epoch <= g.descent_epochs; ++epoch) {
      double fit_sum = 0;
      for (const DescentBatch& d : descent_batches) {
        nn::Batch batch = d.batch;  // shares its tensors; the parameter inputs are set below
        const std::int64_t B = d.slots.size(0), I = d.slots.size(1);
        const torch::Tensor theta = centre_t + step_t * u;
        const torch::Tensor x = torch::cat({theta, constants_t});
        batch.instruction_params = x.index_select(0, d.slots.flatten()).view({B, I, P}) / scale_t;
        batch.global_params = (x.index_select(0, global_index) / global_scale).unsqueeze(0).expand({B, -1});
        const torch::Tensor fit = nn::mape_loss(model->forward(batch), batch.throughput);
        const torch::Tensor penalty = (weight_t * (theta - start_t).abs()).sum() / n_train;
        adam.zero_grad();
        (fit + penalty).backward();
        adam.step();
        {
          torch::NoGradGuard no_grad;
          u.copy_(torch::max(torch::min(u, hi_t), lo_t));
        }
        fit_sum += fit.item<double>() * static_cast<double>(B);
      }
      ++st.epochs;
      std::vector<double> values(n);
      const torch::Tensor theta = (centre_t + step_t * u).detach();
      auto th = theta.accessor<float, 1>();
      for (std::size_t i = 0; i < n; ++i) values[i] = th[static_cast<std::int64_t>(i)];
      values = layout.project(values);
      std::size_t off = 0;
      for (std::size_t i = 0; i < n; ++i) off += values[i] != start[i];
      const double v = values == st.best ? st.validation_best : validation_mape(values);
      if (v < st.validation_best) {
        st.validation_best = v;
        st.best = values;
        improved = true;
      }
      log << "gradient search: round " << round << " descent " << epoch << ", surrogate's error against measured "
          << std::setprecision(2) << 100 * fit_sum / n_train << "%, " << off << " fields off LLVM's values, validation "
          << 100 * v << "% (best " << 100 * st.validation_best << "%, LLVM's " << 100 * st.validation_stock << "%)\n";
      if (out_of_budget() || (cancel && cancel())) break;
    }
    for (auto& w : model->parameters()) w.set_requires_grad(true);
    model->train();
    if (cancel && cancel()) {
      r.interrupted = true;
      r.stop_reason = "interrupted";
      return r;
    }
    st.rounds_done = round;
    if (!improved) {
      ++st.shrinks;
      log << "gradient search: round " << round << " found nothing better; "
          << (st.shrinks > kMaxShrinks ? "stopping" : "halving the region") << "\n";
    }
    st.stalled = st.shrinks > kMaxShrinks;
    st.centre = st.best;
    st.seconds = elapsed();
    if (!state_path.empty()) {
      save_round(state_path, fingerprint, st, model);
      std::error_code ignored;
      std::filesystem::remove(topts.checkpoint, ignored);
    }
  }
  if (st.stalled && r.stop_reason == "rounds") r.stop_reason = "no better candidate in the smallest region";

  r.values = st.best;
  r.validation_stock = st.validation_stock;
  r.validation_final = st.validation_best;
  r.sweeps = st.epochs;
  for (std::size_t i = 0; i < n; ++i) r.moves += r.values[i] != start[i];
  r.train_final = r.values == start ? r.train_stock : simulate_train(r.values);
  if (r.values != start) st.simulations += train.blocks.size();
  r.simulations = st.simulations;
  r.seconds = elapsed();
  r.summary = st.summary + "; " + std::to_string(st.rounds_done) + " rounds";
  if (!state_path.empty()) {
    std::error_code ignored;
    for (const char* suffix : {"", ".model"}) std::filesystem::remove(state_path + suffix, ignored);
    std::filesystem::remove(o.state_path + ".surrogate", ignored);
  }
  return r;
}

}  // namespace surrogate::apps
