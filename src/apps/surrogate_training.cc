#include "apps/surrogate_training.h"

#include <cstdio>
#include <optional>
#include <ostream>
#include <stdexcept>

#include "block/decoder.h"
#include "dataset/held_out_programs.h"
#include "nn/export.h"
#include "runtime/frontend.h"
#include "util/atomic_file.h"
#include "util/result_journal.h"

namespace surrogate::apps {

std::vector<const dataset::EncodedBlock*> PreparedData::of(dataset::Split split) const {
  std::vector<const dataset::EncodedBlock*> out;
  for (const dataset::EncodedBlock& b : blocks)
    if (b.split == split) out.push_back(&b);
  return out;
}

std::vector<block::BasicBlock> PreparedData::decoded(const std::vector<const dataset::EncodedBlock*>& rows) const {
  block::Decoder decoder;
  std::vector<block::BasicBlock> out;
  out.reserve(rows.size());
  for (const dataset::EncodedBlock* e : rows)
    out.push_back(decoder.decode_block(labels.blocks[e->row].bytes, "row " + std::to_string(e->row), {}, nullptr));
  return out;
}

std::vector<double> throughputs_of(const std::vector<const dataset::EncodedBlock*>& rows) {
  std::vector<double> out;
  out.reserve(rows.size());
  for (const dataset::EncodedBlock* e : rows) out.push_back(e->throughput);
  return out;
}

PreparedData prepare_data(const std::string& labels_path, const std::string& frontend, unsigned jobs, std::ostream& log,
                          const block::Vocabulary* vocabulary) {
  const block::DependencyFeatureSet set = runtime::dependency_feature_set(frontend);
  PreparedData d;
  d.frontend = frontend;
  d.labels_path = labels_path;
  d.labels_fingerprint = util::fingerprint_of(util::read_file(labels_path));
  d.labels = dataset::read_labels(labels_path);
  for (const util::RowError& e : d.labels.unreadable_rows) log << e.message << " (row left out)\n";
  // Blocks of the programs that judge us from outside never train a model.
  const std::size_t before = d.labels.blocks.size();
  std::erase_if(d.labels.blocks,
                [](const dataset::LabelledBlock& b) { return dataset::from_held_out_program(b.source); });
  if (d.labels.blocks.size() != before)
    log << labels_path << ": " << before - d.labels.blocks.size()
        << " blocks of held-out programs (openssl, sqlite, redis) left out of training\n";
  dataset::TokenizedLabels tokens = dataset::tokenize_labels(d.labels, jobs, set);
  d.vocabulary = vocabulary ? *vocabulary : dataset::training_vocabulary(d.labels, tokens);
  d.blocks = dataset::encode_labels(d.labels, tokens, d.vocabulary);
  d.skipped = tokens.skipped;
  char line[256];
  std::snprintf(line, sizeof line, "%s: %zu blocks (%zu train, %zu validation, %zu test; %zu skipped), %zu tokens\n",
                labels_path.c_str(), d.blocks.size(), d.of(dataset::Split::kTrain).size(),
                d.of(dataset::Split::kValidation).size(), d.of(dataset::Split::kTest).size(), d.skipped,
                d.vocabulary.size());
  log << line;
  return d;
}

TrainedSurrogate train_surrogate(const PreparedData& data, const nn::LstmShape& requested, nn::TrainOptions options,
                                 const std::string& prefix, std::ostream& log, const std::function<bool()>& cancel,
                                 const std::string& init, const nlohmann::json& extra_metadata) {
  nn::LstmShape shape = requested;
  std::optional<runtime::ModelFile> initial;
  std::string init_fingerprint;
  if (!init.empty()) {
    const std::string bytes = util::read_file(init);
    init_fingerprint = util::fingerprint_of(bytes);
    initial = runtime::parse_model_file(bytes, init);
    if (initial->vocabulary.tokens() != data.vocabulary.tokens())
      throw std::invalid_argument(init + ": the data were not encoded with this model's vocabulary");
    if (initial->frontend != data.frontend)
      throw std::invalid_argument(init + ": the data were encoded for frontend " + data.frontend +
                                  ", the model reads " + initial->frontend);
    shape.width = initial->width;
    shape.depth = initial->depth;
    options.start_head_at_mean = false;  // its head is trained
  }
  shape.vocabulary = static_cast<std::int64_t>(data.vocabulary.size());
  shape.instruction_features = runtime::frontend_features(data.frontend);
  std::string vocab_text;
  for (const std::string& t : data.vocabulary.tokens()) vocab_text += t + "\n";
  options.checkpoint = prefix + ".ckpt";
  // The checkpoint resumes only the same training: data, vocabulary, shape, options.
  options.config = "train v1 labels=" + data.labels_fingerprint + " vocabulary=" + util::fingerprint_of(vocab_text) +
                   " width=" + std::to_string(shape.width) + " depth=" + std::to_string(shape.depth) +
                   " batch=" + std::to_string(options.batch_size) + " lr=" + std::to_string(options.learning_rate) +
                   " seed=" + std::to_string(options.seed) + " threads=" + std::to_string(options.threads) +
                   (options.loss == nn::TrainOptions::Loss::kLogError ? " loss=log-error" : "") +
                   (shape.instruction_features ? " features=" + std::to_string(shape.instruction_features) : "") +
                   (init.empty() ? "" : " init=" + init_fingerprint);
  torch::manual_seed(options.seed);
  nn::HierarchicalLstm model(shape);
  if (initial) nn::import_model(model, *initial);
  TrainedSurrogate out;
  out.result = nn::train(model, data.blocks, options, log, cancel);
  if (out.result.interrupted) return out;

  out.validation_mape = out.result.best_validation_mape;
  out.test_mape = nn::evaluate_mape(model, data.of(dataset::Split::kTest));
  for (const nn::EpochRecord& e : out.result.epochs) out.training_seconds += e.seconds;
  char line[200];
  std::snprintf(line, sizeof line, "%s: best epoch %d: validation MAPE %.2f%%; test MAPE %.2f%%\n", prefix.c_str(),
                out.result.best_epoch, 100 * out.validation_mape, 100 * out.test_mape);
  log << line;

  std::string csv = "epoch,train_mape,validation_mape,learning_rate,seconds,blocks_per_second\n";
  for (const nn::EpochRecord& e : out.result.epochs) {
    char row[160];
    std::snprintf(row, sizeof row, "%d,%.5f,%.5f,%.3g,%.2f,%.0f\n", e.epoch, e.train_mape, e.validation_mape,
                  e.learning_rate, e.seconds, e.blocks_per_second);
    csv += row;
  }
  util::write_file_atomically(prefix + ".log.csv", csv);

  nlohmann::json metadata = {{"labels", data.labels.description},
                             {"labels_file", data.labels_path},
                             {"width", shape.width},
                             {"depth", shape.depth},
                             {"epochs", out.result.epochs.size()},
                             {"best_epoch", out.result.best_epoch},
                             {"validation_mape", out.validation_mape},
                             {"test_mape", out.test_mape},
                             {"split", "FNV-1a of the block bytes % 100: <80 train, <90 validation, else test"},
                             {"seed", options.seed}};
  if (!init.empty()) metadata["initialised_from"] = init;
  // Labels that name no CPU (a CSV of hex,throughput) keep the base model's:
  // a fine-tuned haswell model is still a haswell model.
  if (initial && runtime::model_cpu({{"metadata", metadata}}).empty()) {
    const std::string cpu = runtime::model_cpu(initial->header);
    if (!cpu.empty()) metadata["cpu"] = cpu;
  }
  if (options.loss == nn::TrainOptions::Loss::kLogError) metadata["loss"] = "log-error";
  for (const auto& [key, value] : extra_metadata.items()) metadata[key] = value;
  out.model_path = prefix + ".srg";
  runtime::write_model_file(out.model_path, nn::export_model(model, data.vocabulary, metadata, data.frontend));
  return out;
}

}  // namespace surrogate::apps
