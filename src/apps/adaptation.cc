#include "apps/adaptation.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "apps/measured_host.h"
#include "apps/surrogate_training.h"
#include "mca/simulator_labeller.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/atomic_file.h"
#include "util/executable.h"
#include "util/parallel.h"
#include "util/result_journal.h"

namespace surrogate::apps {

namespace {

dataset::ErrorSummary score(const runtime::ModelFile& model, const std::vector<block::BasicBlock>& blocks,
                            const std::vector<double>& truth, unsigned jobs) {
  if (blocks.empty()) return {};
  return dataset::summarize_errors(runtime::Predictor(model).predict(blocks, jobs), truth);
}

// llvm-mca under -mcpu=cpu, on `jobs` threads; blocks it cannot simulate are
// left out of the summary (counted in its `blocks`).
dataset::ErrorSummary simulator_score(const std::string& cpu, const std::vector<block::BasicBlock>& blocks,
                                      const std::vector<double>& truth, unsigned jobs) {
  if (blocks.empty() || cpu.empty()) return {};
  const mca::SimulatorLabeller simulator(mca::CpuParams::stock(cpu), 100, "-mcpu=" + cpu);
  std::vector<double> predicted(blocks.size(), -1);
  util::parallel_for(blocks.size(), jobs, [&](std::size_t i, unsigned) {
    try {
      predicted[i] = simulator.label(blocks[i]);
    } catch (const mca::LabelError&) {
    }
  });
  std::vector<double> p, t;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    if (predicted[i] > 0) {
      p.push_back(predicted[i]);
      t.push_back(truth[i]);
    }
  return p.empty() ? dataset::ErrorSummary{} : dataset::summarize_errors(p, t);
}

std::string summary_line(const std::string& what, const dataset::ErrorSummary& s) {
  char line[256];
  std::snprintf(line, sizeof line, "  %-44s MAPE %6.2f%%  Kendall tau %.3f  p90 %6.1f%%  (%zu blocks)\n", what.c_str(),
                100 * s.mape, s.kendall_tau, 100 * s.p90, s.blocks);
  return line;
}

nlohmann::json summary_json(const dataset::ErrorSummary& s) {
  return {{"blocks", s.blocks}, {"mape", s.mape}, {"kendall_tau", s.kendall_tau}, {"p90", s.p90}};
}

}  // namespace

std::vector<std::string> shipped_models() {
  const std::filesystem::path bin = util::executable_directory();
  if (bin.empty()) return {};
  for (const std::filesystem::path& dir : {bin / "../share/surrogate/models", bin / "../../models"}) {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) continue;
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error))
      if (entry.path().extension() == ".srg") out.push_back(std::filesystem::weakly_canonical(entry.path()).string());
    std::sort(out.begin(), out.end());
    if (!out.empty()) return out;
  }
  return {};
}

AdaptResult adapt(const AdaptOptions& o, std::ostream& log, const std::function<bool()>& cancel) {
  if (o.base_models.empty()) throw std::runtime_error("no base model to adapt (give --model)");
  if (o.output.size() < 5 || o.output.substr(o.output.size() - 4) != ".srg")
    throw std::runtime_error(o.output + ": the adapted model's name must end in .srg");
  const unsigned jobs = std::max(1u, o.jobs);
  AdaptResult r;
  r.host = measured_host(o.measured);
  // Every candidate read first: a bad model fails before any work.
  std::vector<runtime::ModelFile> candidates;
  for (const std::string& path : o.base_models) {
    candidates.push_back(runtime::read_model_file(path));
    const nlohmann::json meta = candidates.back().metadata();
    const std::string adapted_to = meta.contains("adapted") ? meta["adapted"].value("host", "") : "";
    if (!adapted_to.empty() && !r.host.empty() && adapted_to != r.host)
      log << "surrogate adapt: warning: " << path << " was adapted to " << adapted_to << ", the measurements are of "
          << r.host << "\n";
  }

  PreparedData data = prepare_data(o.measured, candidates[0].frontend, jobs, log, &candidates[0].vocabulary);
  std::vector<const dataset::EncodedBlock*> train = data.of(dataset::Split::kTrain),
                                            validation = data.of(dataset::Split::kValidation),
                                            test = data.of(dataset::Split::kTest);
  if (train.empty()) throw std::runtime_error(o.measured + ": no measured block to adapt on");
  r.train_blocks = train.size();
  r.validation_blocks = validation.size();
  r.test_blocks = test.size();

  // The base: the candidate closest to the measurements on the validation split.
  const std::vector<const dataset::EncodedBlock*>& judge = validation.empty() ? train : validation;
  const std::vector<block::BasicBlock> judge_blocks = data.decoded(judge);
  const std::vector<double> judge_truth = throughputs_of(judge);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    r.candidates.push_back({o.base_models[i], score(candidates[i], judge_blocks, judge_truth, jobs)});
    log << summary_line("base candidate " + o.base_models[i], r.candidates.back().validation);
    if (r.candidates[i].validation.mape < r.candidates[r.chosen].validation.mape) r.chosen = i;
  }
  const std::string& base_path = o.base_models[r.chosen];
  const runtime::ModelFile& base = candidates[r.chosen];
  log << "surrogate adapt: adapting " << base_path << " (closest on " << judge.size() << " validation blocks)\n";
  if (r.chosen != 0) data = prepare_data(o.measured, base.frontend, jobs, log, &base.vocabulary);
  // Measurements without MEASURED.meta.json (e.g. several measured files
  // concatenated) name no host: a base already adapted to one names it.
  if (r.host.empty()) {
    const nlohmann::json meta = base.metadata();
    if (meta.contains("adapted") && meta["adapted"].is_object()) r.host = meta["adapted"].value("host", "");
    if (!r.host.empty())
      log << "surrogate adapt: " << o.measured << " names no host (no .meta.json); taking the base model's, " << r.host
          << "\n";
  }

  nn::TrainOptions training = o.training;
  nlohmann::json metadata = {
      {"adapted",
       {{"host", r.host},
        {"base_model", base_path},
        {"base_model_fingerprint", util::fingerprint_of(util::read_file(base_path))},
        {"measured", o.measured},
        {"measured_fingerprint", data.labels_fingerprint},
        {"method",
         "fine-tuned every weight from the base model on the measured training split (Adam, MAPE loss, "
         "early stopping on the measured validation split)"},
        {"learning_rate", training.learning_rate},
        {"max_seconds", training.max_seconds}}}};
  const std::string prefix = o.output.substr(0, o.output.size() - 4);
  TrainedSurrogate t = train_surrogate(data, nn::LstmShape{}, training, prefix, log, cancel, base_path, metadata);
  if (t.result.interrupted) {
    r.interrupted = true;
    return r;
  }

  // The test split: trained on by nothing, chosen on by nothing.
  test = data.of(dataset::Split::kTest);
  const std::vector<block::BasicBlock> test_blocks = data.decoded(test);
  const std::vector<double> test_truth = throughputs_of(test);
  r.simulator_cpu = runtime::model_cpu(base.header);
  r.base = score(base, test_blocks, test_truth, jobs);
  runtime::ModelFile adapted = runtime::read_model_file(o.output);
  r.adapted = score(adapted, test_blocks, test_truth, jobs);
  r.simulator = simulator_score(r.simulator_cpu, test_blocks, test_truth, jobs);
  log << "surrogate adapt: on the measured test split (" << test.size() << " blocks"
      << (r.host.empty() ? "" : " of " + r.host) << ", none trained or chosen on):\n"
      << summary_line("llvm-mca -mcpu=" + r.simulator_cpu, r.simulator) << summary_line("base " + base_path, r.base)
      << summary_line("adapted " + o.output, r.adapted);
  // The evaluation goes into the model's metadata too.
  nlohmann::json& m = adapted.header["metadata"];
  m["adapted"]["test"] = {{"llvm-mca", summary_json(r.simulator)},
                          {"llvm-mca_cpu", r.simulator_cpu},
                          {"base", summary_json(r.base)},
                          {"adapted", summary_json(r.adapted)}};
  runtime::write_model_file(o.output, adapted);
  return r;
}

}  // namespace surrogate::apps
