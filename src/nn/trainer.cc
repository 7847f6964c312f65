#include "nn/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <ostream>
#include <random>
#include <sstream>

#include "nn/batch.h"
#include "util/atomic_file.h"
#include "util/progress.h"

namespace surrogate::nn {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<const dataset::EncodedBlock*> of_split(const std::vector<dataset::EncodedBlock>& data,
                                                   dataset::Split split) {
  std::vector<const dataset::EncodedBlock*> out;
  for (const dataset::EncodedBlock& b : data)
    if (b.split == split) out.push_back(&b);
  return out;
}

// The order of the training blocks in `epoch` (1-based).
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, int epoch) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 1000003ull + static_cast<std::uint64_t>(epoch));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

void set_learning_rate(torch::optim::Adam& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

torch::Tensor string_tensor(const std::string& s) {
  return torch::from_blob(const_cast<char*>(s.data()), {static_cast<int64_t>(s.size())}, torch::kUInt8).clone();
}
std::string tensor_string(const torch::Tensor& t) {
  return std::string(reinterpret_cast<const char*>(t.data_ptr<uint8_t>()), t.numel());
}

// Everything a resumed run needs besides the model and optimizer.
struct State {
  int epoch = 1;          // epoch in progress (1-based)
  std::int64_t step = 0;  // next step within it
  double learning_rate = 0;
  double best = INFINITY;  // best validation MAPE so far
  int best_epoch = 0;
  int bad_epochs = 0;         // epochs since the best
  double train_loss_sum = 0;  // over this epoch's finished steps
  std::int64_t train_blocks = 0;
  std::vector<EpochRecord> history;
};

void save_checkpoint(const std::string& path, const std::string& config, HierarchicalLstm& model,
                     HierarchicalLstm& best, torch::optim::Adam& optimizer, const State& s) {
  torch::serialize::OutputArchive a, m, b, o;
  model->save(m);
  best->save(b);
  optimizer.save(o);
  a.write("model", m);
  a.write("best", b);
  a.write("optimizer", o);
  a.write("config", string_tensor(config));
  a.write("position", torch::tensor({static_cast<int64_t>(s.epoch), s.step, static_cast<int64_t>(s.best_epoch),
                                     static_cast<int64_t>(s.bad_epochs), s.train_blocks}));
  a.write("values", torch::tensor({s.learning_rate, s.best, s.train_loss_sum}, torch::kFloat64));
  std::vector<double> h;
  for (const EpochRecord& r : s.history)
    h.insert(h.end(),
             {double(r.epoch), r.train_mape, r.validation_mape, r.learning_rate, r.seconds, r.blocks_per_second});
  a.write("history", torch::tensor(h, torch::kFloat64));
  std::ostringstream bytes;
  a.save_to(bytes);
  util::write_file_atomically(path, bytes.str());
}

bool load_checkpoint(const std::string& path, const std::string& config, HierarchicalLstm& model,
                     HierarchicalLstm& best, torch::optim::Adam& optimizer, State& s) {
  if (!std::filesystem::exists(path)) return false;
  torch::serialize::InputArchive a, m, b, o;
  a.load_from(path);
  torch::Tensor c;
  a.read("config", c);
  if (tensor_string(c) != config)
    throw std::runtime_error(path +
                             ": checkpoint of another training (model, data or options differ); remove it "
                             "or choose another output");
  a.read("model", m);
  a.read("best", b);
  a.read("optimizer", o);
  model->load(m);
  best->load(b);
  optimizer.load(o);
  torch::Tensor p, v, h;
  a.read("position", p);
  a.read("values", v);
  a.read("history", h);
  auto pa = p.accessor<int64_t, 1>();
  s.epoch = static_cast<int>(pa[0]);
  s.step = pa[1];
  s.best_epoch = static_cast<int>(pa[2]);
  s.bad_epochs = static_cast<int>(pa[3]);
  s.train_blocks = pa[4];
  auto va = v.accessor<double, 1>();
  s.learning_rate = va[0];
  s.best = va[1];
  s.train_loss_sum = va[2];
  auto ha = h.accessor<double, 1>();
  for (int64_t i = 0; i + 5 < h.numel(); i += 6)
    s.history.push_back({static_cast<int>(ha[i]), ha[i + 1], ha[i + 2], ha[i + 3], ha[i + 4], ha[i + 5]});
  return true;
}

void copy_weights(HierarchicalLstm& from, HierarchicalLstm& to) {
  torch::NoGradGuard no_grad;
  auto src = from->parameters();
  auto dst = to->parameters();
  for (std::size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
}

// The head's bias at the mean log-throughput of the blocks: a model that
// starts at the data's typical value.
void start_head_at_mean(HierarchicalLstm& model, const std::vector<const dataset::EncodedBlock*>& blocks) {
  torch::NoGradGuard no_grad;
  double mean_log = 0;
  for (const dataset::EncodedBlock* b : blocks) mean_log += std::log(double(b->throughput));
  model->head->bias.fill_(mean_log / blocks.size());
}

// One optimizer step on the blocks; returns the batch's MAPE.
double train_step(HierarchicalLstm& model, torch::optim::Adam& optimizer,
                  const std::vector<const dataset::EncodedBlock*>& blocks, const TrainOptions& options) {
  Batch batch = make_batch(blocks);
  optimizer.zero_grad();
  const torch::Tensor log_predicted = model->forward(batch);
  const torch::Tensor mape = mape_loss(log_predicted, batch.throughput);
  const torch::Tensor loss =
      options.loss == TrainOptions::Loss::kMape ? mape : log_error_loss(log_predicted, batch.throughput);
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model->parameters(), options.clip_norm);
  optimizer.step();
  return mape.item<double>();
}

}  // namespace

std::vector<float> predict_log(HierarchicalLstm& model, const std::vector<const dataset::EncodedBlock*>& blocks,
                               std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  std::vector<float> out;
  out.reserve(blocks.size());
  for (std::size_t i = 0; i < blocks.size(); i += batch_size) {
    std::size_t n = std::min<std::size_t>(batch_size, blocks.size() - i);
    Batch batch = make_batch(std::span(blocks.data() + i, n));
    torch::Tensor y = model->forward(batch).contiguous();
    out.insert(out.end(), y.data_ptr<float>(), y.data_ptr<float>() + n);
  }
  return out;
}

double evaluate_mape(HierarchicalLstm& model, const std::vector<const dataset::EncodedBlock*>& blocks) {
  if (blocks.empty()) return 0;
  std::vector<float> y = predict_log(model, blocks);
  double sum = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) sum += std::abs(std::exp(double(y[i])) / blocks[i]->throughput - 1);
  return sum / blocks.size();
}

namespace {

// The end of an epoch of `seconds` that trained on `blocks` blocks: its record
// in s.history and the log, the best weights kept, the learning rate halved
// after every `decay_after` epochs without improvement.
void end_epoch(HierarchicalLstm& model, HierarchicalLstm& best, torch::optim::Adam& optimizer,
               const std::vector<const dataset::EncodedBlock*>& validation_set, const TrainOptions& options,
               double seconds, std::int64_t blocks, State& s, std::ostream& log) {
  model->eval();
  EpochRecord r;
  r.epoch = s.epoch;
  r.train_mape = s.train_loss_sum / std::max<std::int64_t>(1, s.train_blocks);
  r.validation_mape = evaluate_mape(model, validation_set);
  r.learning_rate = s.learning_rate;
  r.seconds = seconds;
  r.blocks_per_second = seconds > 0 ? blocks / seconds : 0;
  s.history.push_back(r);
  char line[200];
  std::snprintf(line, sizeof line,
                "epoch %d: train MAPE %.2f%%, validation MAPE %.2f%%, lr %.2g, %.1f s (%.0f blocks/s)", r.epoch,
                100 * r.train_mape, 100 * r.validation_mape, r.learning_rate, r.seconds, r.blocks_per_second);
  log << line;
  if (r.validation_mape < s.best) {
    s.best = r.validation_mape;
    s.best_epoch = s.epoch;
    s.bad_epochs = 0;
    copy_weights(model, best);
    log << "  (best)";
  } else if (++s.bad_epochs % options.decay_after == 0) {
    s.learning_rate /= 2;
    set_learning_rate(optimizer, s.learning_rate);
  }
  log << "\n";
  ++s.epoch;
  s.step = 0;
  s.train_loss_sum = 0;
  s.train_blocks = 0;
}

}  // namespace

TrainResult train(HierarchicalLstm& model, const std::vector<dataset::EncodedBlock>& data, const TrainOptions& options,
                  std::ostream& log, const std::function<bool()>& cancel) {
  torch::set_num_threads(options.threads);
  std::vector<const dataset::EncodedBlock*> train_set = of_split(data, dataset::Split::kTrain);
  std::vector<const dataset::EncodedBlock*> validation_set = of_split(data, dataset::Split::kValidation);
  if (train_set.empty()) throw std::runtime_error("no training blocks");
  if (validation_set.empty()) validation_set = train_set;  // tiny data: early-stop on the training set

  if (options.start_head_at_mean) start_head_at_mean(model, train_set);
  HierarchicalLstm best(model->shape());
  copy_weights(model, best);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(options.learning_rate));
  State s;
  s.learning_rate = options.learning_rate;
  TrainResult result;
  if (!options.checkpoint.empty())
    result.resumed = load_checkpoint(options.checkpoint, options.config, model, best, optimizer, s);
  if (result.resumed) {
    set_learning_rate(optimizer, s.learning_rate);
    log << "resuming from " << options.checkpoint << " at epoch " << s.epoch << ", step " << s.step << "\n";
  }
  auto checkpoint = [&] {
    if (!options.checkpoint.empty()) save_checkpoint(options.checkpoint, options.config, model, best, optimizer, s);
  };

  const std::int64_t steps =
      (static_cast<std::int64_t>(train_set.size()) + options.batch_size - 1) / options.batch_size;
  const auto run_start = Clock::now();
  bool stop = s.bad_epochs >= options.patience;
  while (!stop && s.epoch <= options.max_epochs) {
    std::vector<std::size_t> order = epoch_order(train_set.size(), options.seed, s.epoch);
    util::Progress progress("train epoch " + std::to_string(s.epoch), steps, s.step);
    auto epoch_start = Clock::now();
    std::int64_t blocks_this_run = 0;
    model->train();
    for (; s.step < steps; ++s.step) {
      if (cancel && cancel()) {
        checkpoint();
        result.interrupted = true;
        result.epochs = s.history;
        return result;
      }
      std::vector<const dataset::EncodedBlock*> chunk;
      for (std::int64_t i = s.step * options.batch_size;
           i < std::min<std::int64_t>((s.step + 1) * options.batch_size, train_set.size()); ++i)
        chunk.push_back(train_set[order[i]]);
      s.train_loss_sum += train_step(model, optimizer, chunk, options) * chunk.size();
      s.train_blocks += chunk.size();
      blocks_this_run += chunk.size();
      progress.advance();
      char status[64];
      std::snprintf(status, sizeof status, "train MAPE %.2f%%", 100 * s.train_loss_sum / s.train_blocks);
      progress.set_status(status);
      if (options.checkpoint_steps > 0 && (s.step + 1) % options.checkpoint_steps == 0 && s.step + 1 < steps) {
        ++s.step;
        checkpoint();
        --s.step;
      }
    }
    progress.finish();
    double seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    end_epoch(model, best, optimizer, validation_set, options, seconds, blocks_this_run, s, log);
    // Within the budget: no epoch is begun that would end past it if it took
    // as long as this one (validation included).
    const double epoch_seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    stop = s.bad_epochs >= options.patience ||
           (options.max_seconds > 0 &&
            std::chrono::duration<double>(Clock::now() - run_start).count() + epoch_seconds > options.max_seconds);
    checkpoint();
  }
  copy_weights(best, model);
  result.epochs = s.history;
  result.best_validation_mape = s.best;
  result.best_epoch = s.best_epoch;
  return result;
}

}  // namespace surrogate::nn
