// Labelling job: blocks in, one label (or the reason there is none) per block
// out, on many threads, resumable. What `surrogate simulate` and `surrogate
// label` run, and what tune and optimize call to (re)simulate blocks.
//
// Resume: with an output path, finished labels are journaled in
// OUTPUT.partial (util/result_journal.h), keyed by the labeller's
// fingerprint and the blocks' bytes. A cancelled job keeps its journal; the
// same job run again labels only what is missing. Once the caller's writer
// has put the complete output in place, the journal is removed.
//
// Values: every label is rounded through its text form (util/throughput_text.h),
// the form the journal keeps, so a resumed job and an uninterrupted one give
// the same values bit for bit.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "block/basic_block.h"
#include "mca/labeller.h"

namespace surrogate::dataset {

struct BlockLabel {
  std::optional<double> throughput;  // cycles per 100 iterations
  std::string error;                 // one line, when there is no throughput
};

struct LabellingOptions {
  unsigned jobs = 1;           // threads
  std::string output;          // where the caller writes the result: journal at OUTPUT.partial ("" or "-": none)
  std::string progress_label;  // progress line on a terminal ("": none)
  const std::atomic<bool>* cancel = nullptr;  // turns true: no new block starts, the job returns
};

struct LabellingResult {
  std::vector<BlockLabel> labels;  // one per input block, input order (default where not labelled)
  std::size_t resumed = 0;         // labels taken from an earlier run's journal
  bool interrupted = false;        // cancelled before every block was labelled: nothing written
};

// Labels every block; a bad row (BasicBlock::error) gets its error as the
// label's and is not labelled. When all are labelled, calls write_output(result) (the
// caller's output file: CSV, label store, ...) and then removes the journal;
// an exception from write_output keeps the journal and propagates.
LabellingResult label_blocks(const mca::Labeller& labeller, const std::vector<block::BasicBlock>& blocks,
                             const LabellingOptions& options,
                             const std::function<void(const LabellingResult&)>& write_output = {});

}  // namespace surrogate::dataset
