// Neural adaptation (Renda, Ding and Carbin, section 4): a surrogate of
// llvm-mca, trained further on throughputs measured on a real CPU, becomes a
// model of that CPU, more accurate than the simulator it learned from, with
// far less measured data than training from scratch needs.
//
// adapt() takes a measured label set (`surrogate measure` output: CSV
// hex,throughput, optionally sources; blocks of held-out programs are left
// out as in all training), scores the candidate base models on its
// validation split and fine-tunes the best one (every weight, Adam, MAPE
// loss, early stopping on the validation split, a time budget), through
// train_surrogate: OUT.ckpt makes it resumable after a kill, the seed makes
// it deterministic. It then reports the base model, the adapted model and
// llvm-mca (under the base model's -mcpu) on the test split, which no step
// trained or chose on. The split is the project's: FNV-1a of the bytes, 80/10/10.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "apps/measured_host.h"
#include "dataset/metrics.h"
#include "nn/trainer.h"

namespace surrogate::apps {

struct AdaptOptions {
  std::string measured;                  // measured label set (CSV or label store)
  std::vector<std::string> base_models;  // candidates (.srg); the best on the validation split is adapted
  std::string output;                    // OUT.srg (with OUT.ckpt, OUT.log.csv beside it)
  nn::TrainOptions training;             // learning rate, epochs, patience, seed, max_seconds
  unsigned jobs = 1;                     // threads preparing the data
};

struct ScoredModel {
  std::string path;
  dataset::ErrorSummary validation;  // against the measured validation split
};

struct AdaptResult {
  std::vector<ScoredModel> candidates;
  std::size_t chosen = 0;  // index into candidates
  std::string host;        // the measurements' host identity (MEASURED.meta.json), or ""
  std::string simulator_cpu;
  // On the measured test split: the base model, the adapted one, llvm-mca.
  dataset::ErrorSummary base, adapted, simulator;
  std::size_t train_blocks = 0, validation_blocks = 0, test_blocks = 0;
  bool interrupted = false;  // cancel() was set: OUT.ckpt holds the progress, no OUT.srg
};

// Throws std::runtime_error (one line naming the file) for a measured file
// without usable blocks or a bad model; writes nothing then.
AdaptResult adapt(const AdaptOptions& options, std::ostream& log, const std::function<bool()>& cancel);

// The models shipped with the toolkit (share/surrogate/models beside an
// installed binary, or models/ of the source tree of a built one), sorted.
std::vector<std::string> shipped_models();

}  // namespace surrogate::apps
