#include "apps/parameter_surrogate.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "apps/coordinate_search.h"
#include "apps/table_samples.h"
#include "block/decoder.h"
#include "block/tokenizer.h"
#include "dataset/held_out_programs.h"
#include "dataset/label_store.h"
#include "dataset/metrics.h"
#include "dataset/split.h"
#include "mca/cpu_catalog.h"
#include "mca/cpu_params.h"
#include "mca/parameter_vector.h"
#include "nn/trainer.h"
#include "util/atomic_file.h"
#include "util/result_journal.h"

namespace surrogate::apps {
namespace {

constexpr const char* kFormat = "surrogate parameter-conditioned surrogate 1";
// Fewest training blocks a parameter surrogate is made from.
constexpr std::size_t kMinBlocks = 50;

nlohmann::json shape_json(const nn::LstmShape& s) {
  return {{"vocabulary", s.vocabulary},
          {"width", s.width},
          {"depth", s.depth},
          {"instruction_params", s.instruction_params},
          {"global_params", s.global_params},
          {"instruction_features", s.instruction_features}};
}

}  // namespace

ConditionedInput encode_conditioned(const block::BasicBlock& block, const block::Vocabulary& vocabulary,
                                    dataset::ParameterRows& rows) {
  ConditionedInput in;
  for (const block::InstructionTokens& inst : block::tokenize_block(block))
    in.instructions.push_back(vocabulary.encode(inst));
  in.features.resize(block.instructions.size() * block::feature_count(kConditionedFeatures));
  block::dependency_features(block, kConditionedFeatures, in.features.data());
  in.gather = rows.gather(block);
  return in;
}

dataset::EncodedBlock conditioned_sample(const ConditionedInput& input, const dataset::ParameterRows& rows,
                                         std::span<const double> values, float cycles, dataset::Split split,
                                         std::uint32_t row) {
  dataset::EncodedBlock e;
  e.instructions = input.instructions;
  e.features = input.features;
  e.parameters = rows.rows(input.gather, values);
  e.globals = rows.globals(values);
  e.throughput = cycles;
  e.split = split;
  e.row = row;
  return e;
}

nn::LstmShape conditioned_shape(std::size_t vocabulary, std::int64_t width, const dataset::ParameterRows& rows) {
  nn::LstmShape shape;
  shape.vocabulary = static_cast<std::int64_t>(vocabulary);
  shape.width = width;
  shape.depth = 1;
  shape.instruction_params = static_cast<std::int64_t>(rows.width());
  shape.global_params = static_cast<std::int64_t>(rows.global_count());
  shape.instruction_features = static_cast<std::int64_t>(block::feature_count(kConditionedFeatures));
  return shape;
}

void save_parameter_surrogate(const std::string& path, ParameterSurrogate& s) {
  torch::serialize::OutputArchive a;
  s.model->save(a);
  const nlohmann::json meta{{"format", kFormat},
                            {"cpu", s.cpu},
                            {"sched_model", s.sched_model},
                            {"shape", shape_json(s.model->shape())},
                            {"vocabulary", s.vocabulary.tokens()},
                            {"info", s.info}};
  a.write("metadata", c10::IValue(meta.dump()));
  std::ostringstream out;
  a.save_to(out);
  util::write_file_atomically(path, out.str());
}

ParameterSurrogate load_parameter_surrogate(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such parameter surrogate file");
  try {
    torch::serialize::InputArchive a;
    const std::string bytes = util::read_file(path);
    std::istringstream in(bytes);
    a.load_from(in);
    c10::IValue value;
    if (!a.try_read("metadata", value) || !value.isString()) throw std::runtime_error("no metadata");
    const nlohmann::json meta = nlohmann::json::parse(value.toStringRef());
    if (meta.at("format") != kFormat) throw std::runtime_error("format");
    ParameterSurrogate s;
    s.cpu = meta.at("cpu");
    s.sched_model = meta.at("sched_model");
    s.vocabulary = block::Vocabulary(meta.at("vocabulary").get<std::vector<std::string>>());
    s.info = meta.at("info");
    s.fingerprint = util::fingerprint_of(bytes);
    const nlohmann::json& j = meta.at("shape");
    nn::LstmShape shape;
    shape.vocabulary = j.at("vocabulary");
    shape.width = j.at("width");
    shape.depth = j.at("depth");
    shape.instruction_params = j.at("instruction_params");
    shape.global_params = j.at("global_params");
    shape.instruction_features = j.at("instruction_features");
    if (shape.vocabulary != static_cast<std::int64_t>(s.vocabulary.size()) ||
        shape.instruction_features != static_cast<std::int64_t>(block::feature_count(kConditionedFeatures)))
      throw std::runtime_error("shape");
    s.model = nn::HierarchicalLstm(shape);
    s.model->load(a);
    return s;
  } catch (const std::exception&) {
    throw std::runtime_error(path + ": not a parameter surrogate ('surrogate train-conditioned' makes one)");
  }
}

ParameterSurrogate load_parameter_surrogate_of(const std::string& path, const std::string& cpu) {
  ParameterSurrogate s = load_parameter_surrogate(path);
  std::string model;
  for (const mca::CpuInfo& c : mca::x86_cpus())
    if (c.name == cpu) model = c.sched_model;
  if (s.sched_model != model)
    throw std::runtime_error(path + ": a parameter surrogate of " + s.cpu + " (model " + s.sched_model + "), not of " +
                             cpu + " (model " + (model.empty() ? "none" : model) + ")");
  return s;
}

std::string find_shipped_parameter_surrogate(const std::string& cpu, const std::string& dir) {
  std::string model;
  for (const mca::CpuInfo& c : mca::x86_cpus())
    if (c.name == cpu) model = c.sched_model;
  std::vector<std::string> names{cpu};
  for (const mca::CpuInfo& c : mca::x86_cpus())
    if (!model.empty() && c.sched_model == model && c.name != cpu) names.push_back(c.name);
  for (const std::string& name : names) {
    const std::filesystem::path p = std::filesystem::path(dir) / ("params-" + name + ".pt");
    if (std::filesystem::is_regular_file(p)) return p.string();
  }
  return "";
}

ParameterSurrogateResult make_parameter_surrogate(const ParameterSurrogateOptions& o, std::ostream& log,
                                                  const std::function<bool()>& cancel) {
  if (o.output.size() < 4 || o.output.substr(o.output.size() - 3) != ".pt")
    throw std::runtime_error(o.output + ": a parameter surrogate's name must end in .pt");
  util::refuse_output_over_input(o.output, {o.blocks});
  const auto began = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(); };
  const mca::CpuParams stock = mca::CpuParams::stock(o.cpu);
  const unsigned jobs = std::max(1u, o.jobs);
  const std::string bytes = util::read_file(o.blocks);
  const dataset::LabelSet labels = dataset::parse_labels(bytes, o.blocks);
  for (const util::RowError& e : labels.unreadable_rows) log << e.message << " (row left out)\n";

  // At most max_blocks blocks, none of a held-out program, drawn by hash.
  std::vector<std::pair<std::uint64_t, std::size_t>> keyed;
  std::size_t held_out = 0;
  for (std::size_t i = 0; i < labels.blocks.size(); ++i) {
    if (dataset::from_held_out_program(labels.blocks[i].source))
      ++held_out;
    else
      keyed.push_back({dataset::sample_key(labels.blocks[i].bytes), i});
  }
  std::sort(keyed.begin(), keyed.end());
  keyed.erase(std::unique(keyed.begin(), keyed.end(),
                          [&](const auto& a, const auto& b) {
                            return labels.blocks[a.second].bytes == labels.blocks[b.second].bytes;
                          }),
              keyed.end());
  if (o.max_blocks && keyed.size() > o.max_blocks) keyed.resize(o.max_blocks);
  block::Decoder decoder;
  std::vector<block::BasicBlock> decoded;
  for (const auto& [key, i] : keyed) {
    try {
      block::BasicBlock b = decoder.decode_block(labels.blocks[i].bytes, o.blocks, {}, nullptr);
      if (!b.instructions.empty()) decoded.push_back(std::move(b));
    } catch (const std::exception&) {
    }
  }
  const std::vector<double> stock_cycles = simulate_all(stock, decoded, jobs);
  std::vector<block::BasicBlock> train, unseen;
  ParameterSurrogateResult r;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (std::isnan(stock_cycles[i])) continue;
    (dataset::split_of(decoded[i].bytes) == dataset::Split::kTrain ? train : unseen).push_back(std::move(decoded[i]));
  }
  decoded.clear();
  r.blocks = train.size() + unseen.size();
  r.train_blocks = train.size();
  r.unseen_blocks = unseen.size();
  if (train.size() < kMinBlocks)
    throw std::runtime_error(o.blocks + ": " + std::to_string(train.size()) +
                             " usable training blocks; a parameter surrogate needs at least " +
                             std::to_string(kMinBlocks));
  if (held_out)
    log << o.blocks << ": " << held_out << " blocks of held-out programs (openssl, sqlite, redis) left out\n";

  // The fields sampled: every field of the opcodes in min_support training blocks, and the globals.
  const std::set<unsigned> sampled = supported_opcodes(stock, train, o.min_support);
  std::set<unsigned> used = opcodes_of(train);
  used.merge(opcodes_of(unseen));
  const mca::CpuParams small = stock.only_opcodes(used);
  mca::LayoutOptions layout_options;
  layout_options.classes = false;
  layout_options.opcodes = sampled;
  const mca::ParameterLayout layout(small, layout_options);
  r.fields = layout.size();
  const std::vector<double> start = layout.values(stock);
  log << "surrogate train-conditioned: " << o.cpu << " (" << stock.sched_model << "), " << train.size()
      << " training blocks, " << unseen.size() << " unseen blocks, " << sampled.size() << " opcodes in at least "
      << o.min_support << " training blocks, " << layout.size() << " fields\n";

  // Inputs.
  dataset::ParameterRows rows(small, layout);
  std::vector<block::InstructionTokens> vocabulary_source;
  for (const block::BasicBlock& b : train)
    for (block::InstructionTokens& t : block::tokenize_block(b)) vocabulary_source.push_back(std::move(t));
  ParameterSurrogate s;
  s.cpu = o.cpu;
  s.sched_model = stock.sched_model;
  s.vocabulary = block::Vocabulary::build(vocabulary_source);
  vocabulary_source.clear();
  std::vector<ConditionedInput> train_in, unseen_in;
  for (const block::BasicBlock& b : train) train_in.push_back(encode_conditioned(b, s.vocabulary, rows));
  for (const block::BasicBlock& b : unseen) unseen_in.push_back(encode_conditioned(b, s.vocabulary, rows));

  // Data: every training block under LLVM's values, and the sampled tables (a tenth for early stopping).
  const std::vector<SimulatedTable> tables =
      simulate_sampled_tables(small, layout, start, o.sampler, o.tables, o.blocks_per_table, train,
                              blocks_per_field(layout, train), o.seed, jobs);
  std::vector<dataset::EncodedBlock> data;
  const std::vector<double> train_cycles = simulate_all(small, train, jobs);
  for (std::uint32_t b = 0; b < train.size(); ++b)
    data.push_back(
        conditioned_sample(train_in[b], rows, start, static_cast<float>(train_cycles[b]), dataset::Split::kTrain, b));
  for (std::size_t t = 0; t < tables.size(); ++t)
    for (const auto& [b, cycles] : tables[t].cycles)
      if (cycles > 0)
        data.push_back(conditioned_sample(train_in[b], rows, tables[t].table.values, cycles,
                                          t % 10 == 9 ? dataset::Split::kValidation : dataset::Split::kTrain, b));
  r.samples = data.size();
  log << "surrogate train-conditioned: " << tables.size() << " tables, " << r.samples << " simulations (" << std::fixed
      << std::setprecision(0) << seconds() << " s)\n";

  torch::manual_seed(o.seed);
  torch::set_num_threads(static_cast<int>(jobs));
  s.model = nn::HierarchicalLstm(conditioned_shape(s.vocabulary.size(), o.width, rows));
  nn::TrainOptions topts;
  topts.max_epochs = o.epochs;
  topts.threads = static_cast<int>(jobs);
  topts.seed = o.seed;
  topts.loss = nn::TrainOptions::Loss::kLogError;
  topts.batch_size = 64;
  topts.max_seconds = o.max_seconds;
  topts.checkpoint = o.output + ".state";
  std::ostringstream config;
  config << kFormat << " " << o.cpu << " blocks=" << util::fingerprint_of(bytes) << " max_blocks=" << o.max_blocks
         << " min_support=" << o.min_support << " tables=" << o.tables << " per_table=" << o.blocks_per_table
         << " sampler=" << o.sampler.fields_per_table << "," << o.sampler.global_probability << ","
         << o.sampler.max_step << "," << o.sampler.max_factor << "," << o.sampler.row_probability
         << " width=" << o.width << " seed=" << o.seed;
  topts.config = config.str();
  const nn::TrainResult trained = nn::train(s.model, data, topts, log, cancel);
  data.clear();
  data.shrink_to_fit();
  if (trained.interrupted) {
    r.interrupted = true;
    return r;
  }
  r.epochs = static_cast<int>(trained.epochs.size());
  r.unseen_tables_mape = trained.best_validation_mape;

  // Judged on blocks it never saw, under LLVM's values and under tables it never saw.
  std::vector<dataset::EncodedBlock> judged;
  const std::vector<double> unseen_cycles = simulate_all(small, unseen, jobs);
  for (std::uint32_t b = 0; b < unseen.size(); ++b)
    judged.push_back(
        conditioned_sample(unseen_in[b], rows, start, static_cast<float>(unseen_cycles[b]), dataset::Split::kTest, b));
  const std::size_t at_stock = judged.size();
  for (const SimulatedTable& t :
       simulate_sampled_tables(small, layout, start, o.sampler, o.evaluation_tables, o.blocks_per_table, unseen,
                               blocks_per_field(layout, unseen), mix_seed(o.seed, 0x5eed), jobs))
    for (const auto& [b, cycles] : t.cycles)
      if (cycles > 0)
        judged.push_back(conditioned_sample(unseen_in[b], rows, t.table.values, cycles, dataset::Split::kTest, b));
  std::vector<const dataset::EncodedBlock*> stock_ptrs, table_ptrs;
  for (std::size_t i = 0; i < judged.size(); ++i) (i < at_stock ? stock_ptrs : table_ptrs).push_back(&judged[i]);
  s.model->eval();
  r.unseen_blocks_stock_mape = nn::evaluate_mape(s.model, stock_ptrs);
  const std::vector<float> predicted = nn::predict_log(s.model, table_ptrs);
  std::vector<double> p, t;
  double sum = 0, blind = 0;
  for (std::size_t i = 0; i < table_ptrs.size(); ++i) {
    p.push_back(std::exp(static_cast<double>(predicted[i])));
    t.push_back(table_ptrs[i]->throughput);
    sum += std::abs(p.back() - t.back()) / t.back();
    blind += std::abs(unseen_cycles[table_ptrs[i]->row] - t.back()) / t.back();
  }
  const double count = static_cast<double>(std::max<std::size_t>(1, table_ptrs.size()));
  r.unseen_blocks_mape = sum / count;
  r.unseen_blocks_blind_mape = blind / count;
  r.unseen_blocks_tau = table_ptrs.size() > 1 ? dataset::kendall_tau_b(p, t) : 0;
  r.seconds = seconds();

  s.info = {{"blocks_file", o.blocks},
            {"training_blocks", r.train_blocks},
            {"unseen_blocks", r.unseen_blocks},
            {"min_support", o.min_support},
            {"fields", r.fields},
            {"tables", o.tables},
            {"blocks_per_table", o.blocks_per_table},
            {"sampler",
             {{"fields_per_table", o.sampler.fields_per_table},
              {"global_probability", o.sampler.global_probability},
              {"max_step", o.sampler.max_step},
              {"max_factor", o.sampler.max_factor},
              {"row_probability", o.sampler.row_probability}}},
            {"samples", r.samples},
            {"epochs", r.epochs},
            {"seed", o.seed},
            {"error_unseen_tables_mape", r.unseen_tables_mape},
            {"error_unseen_blocks_llvm_values_mape", r.unseen_blocks_stock_mape},
            {"error_unseen_blocks_and_tables_mape", r.unseen_blocks_mape},
            {"unseen_blocks_and_tables_kendall_tau", r.unseen_blocks_tau},
            {"unseen_blocks_and_tables_parameter_blind_mape", r.unseen_blocks_blind_mape},
            {"unseen_blocks_and_tables_samples", table_ptrs.size()}};
  save_parameter_surrogate(o.output, s);
  std::error_code ignored;
  std::filesystem::remove(topts.checkpoint, ignored);
  return r;
}

}  // namespace surrogate::apps
