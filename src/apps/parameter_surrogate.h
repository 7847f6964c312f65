// A parameter-conditioned surrogate of one LLVM scheduling model (DiffTune's
// surrogate; Renda, Ding and Carbin section 5), made once per CPU model and
// shipped, so that `surrogate tune --method=gradient` starts from a surrogate
// that has seen many blocks under many tables instead of training one from
// nothing in the tuning run.
//
// It reads a block's tokens, its dependency features (kV2) and, per
// instruction, the row of the CPU parameters of its opcode and the globals
// (dataset/parameter_rows.h), and predicts llvm-mca's cycles per 100
// iterations under those parameters. Rows do not depend on which fields a
// tuning moves: any layout of the same scheduling model feeds it.
//
// make_parameter_surrogate(): from blocks (a CSV or label store; blocks of
// the held-out programs openssl, sqlite, redis are left out), at most
// max_blocks drawn by hash and split 80/10/10 by the project's split; tables
// sampled around LLVM's values (mca/parameter_sampler.h: a few fields at a
// time) and simulated on training blocks they affect; trained with early
// stopping on 10% of the tables (never trained on); then judged on blocks it
// never saw (the validation and test splits) under tables it never saw.
// Resumable: a killed run continues from its last checkpoint (OUT.state).
//
// The file (OUT.pt): a LibTorch archive of the weights and a "metadata"
// string (JSON: format, cpu, sched_model, shape, vocabulary, how it was made
// and its errors).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "block/dependencies.h"
#include "block/vocabulary.h"
#include "dataset/encoded_dataset.h"
#include "dataset/parameter_rows.h"
#include "mca/parameter_sampler.h"
#include "nn/hierarchical_lstm.h"

namespace surrogate::apps {

// The dependency features every parameter-conditioned surrogate reads.
constexpr block::DependencyFeatureSet kConditionedFeatures = block::DependencyFeatureSet::kV2;

// A block as a conditioned surrogate reads it, without label or parameters.
struct ConditionedInput {
  std::vector<std::vector<std::int32_t>> instructions;  // token ids per instruction
  std::vector<float> features;                          // kConditionedFeatures
  std::vector<std::int32_t> gather;                     // dataset::ParameterRows::gather
};

// Not thread-safe (rows.gather learns constants).
ConditionedInput encode_conditioned(const block::BasicBlock& block, const block::Vocabulary& vocabulary,
                                    dataset::ParameterRows& rows);

// A training sample: `input` under the table whose layout values are `values`.
dataset::EncodedBlock conditioned_sample(const ConditionedInput& input, const dataset::ParameterRows& rows,
                                         std::span<const double> values, float cycles, dataset::Split split,
                                         std::uint32_t row);

// A new conditioned surrogate's shape: depth 1, reading `rows`' parameters
// and kConditionedFeatures.
nn::LstmShape conditioned_shape(std::size_t vocabulary, std::int64_t width, const dataset::ParameterRows& rows);

struct ParameterSurrogate {
  std::string cpu;          // the CPU it was made with, e.g. "znver4"
  std::string sched_model;  // its scheduling model (mca/cpu_catalog.h), e.g. "Zn4": it serves every CPU of it
  block::Vocabulary vocabulary{std::vector<std::string>{"<pad>", "<unk>"}};
  nn::HierarchicalLstm model{nullptr};
  nlohmann::json info;      // how it was made and its errors against the simulator
  std::string fingerprint;  // of the file it was loaded from (util::fingerprint_of), "" if made here
};

void save_parameter_surrogate(const std::string& path, ParameterSurrogate& surrogate);
// Throws std::runtime_error (one line naming the file) when it cannot be read or is not one.
ParameterSurrogate load_parameter_surrogate(const std::string& path);
// The same, and throws (one line) unless it serves `cpu` (of the same scheduling model).
ParameterSurrogate load_parameter_surrogate_of(const std::string& path, const std::string& cpu);
// `dir`/params-NAME.pt for the CPU or another CPU of its scheduling model;
// "" when there is none.
std::string find_shipped_parameter_surrogate(const std::string& cpu, const std::string& dir = "models");

struct ParameterSurrogateOptions {
  std::string cpu;                 // LLVM CPU name
  std::string blocks;              // CSV (hex[,sources]) or label store; labels are not used
  std::string output;              // OUT.pt (OUT.pt.state while it is made)
  std::size_t max_blocks = 20000;  // drawn by hash before the split, 0 = all
  std::size_t min_support = 5;     // training blocks an opcode needs for its fields to be sampled
  std::size_t tables = 8000;       // sampled tables
  std::size_t blocks_per_table = 48;
  std::size_t evaluation_tables = 500;  // tables judged on the blocks it never saw
  mca::SamplerOptions sampler;
  std::int64_t width = 48;
  int epochs = 8;
  double max_seconds = 0;  // of training, 0 = none
  unsigned jobs = 1;
  std::uint64_t seed = 1;
};

struct ParameterSurrogateResult {
  std::size_t blocks = 0, train_blocks = 0, unseen_blocks = 0, fields = 0;
  std::size_t samples = 0;        // (block, table) simulations trained and validated on
  double unseen_tables_mape = 0;  // training blocks, tables never trained on
  double unseen_blocks_mape = 0;  // blocks never trained on, tables never trained on
  double unseen_blocks_tau = 0;   // Kendall tau there
  // The simulator's own cycles under LLVM's values as the prediction there:
  // the error of a model blind to the parameters (what the tables change).
  double unseen_blocks_blind_mape = 0;
  double unseen_blocks_stock_mape = 0;  // the same blocks under LLVM's values
  int epochs = 0;
  double seconds = 0;
  bool interrupted = false;
};

// Throws std::runtime_error (one line) for an unknown CPU, an unreadable or
// too small block file; writes nothing then.
ParameterSurrogateResult make_parameter_surrogate(const ParameterSurrogateOptions& options, std::ostream& log,
                                                  const std::function<bool()>& cancel);

}  // namespace surrogate::apps
