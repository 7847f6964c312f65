#include "dataset/labelling_job.h"

#include <cstdlib>

#include "util/parallel.h"
#include "util/progress.h"
#include "util/result_journal.h"
#include "util/throughput_text.h"

namespace surrogate::dataset {
namespace {

BlockLabel from_entry(const util::JournalEntry& e) {
  BlockLabel l;
  if (e.value.empty())
    l.error = e.note;
  else
    l.throughput = std::strtod(e.value.c_str(), nullptr);
  return l;
}

std::string job_fingerprint(const mca::Labeller& labeller, const std::vector<block::BasicBlock>& blocks) {
  std::string job = "labelling v2\n" + labeller.fingerprint() + "\n";
  for (const block::BasicBlock& b : blocks) job += (b.error ? "!" + b.text : b.hex()) + "\n";
  return util::fingerprint_of(job);
}

}  // namespace

LabellingResult label_blocks(const mca::Labeller& labeller, const std::vector<block::BasicBlock>& blocks,
                             const LabellingOptions& options,
                             const std::function<void(const LabellingResult&)>& write_output) {
  const std::string output = options.output.empty() ? "-" : options.output;
  util::ResultJournal journal(output, job_fingerprint(labeller, blocks));
  LabellingResult result;
  result.labels.resize(blocks.size());
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].error) {  // a row that could not be read: never labelled
      result.labels[i].error = blocks[i].error->message;
      continue;
    }
    auto it = journal.finished().find(i);
    if (it != journal.finished().end()) {
      result.labels[i] = from_entry(it->second);
      ++result.resumed;
    } else {
      todo.push_back(i);
    }
  }
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  std::optional<util::Progress> progress;
  if (!options.progress_label.empty()) progress.emplace(options.progress_label, blocks.size(), result.resumed);
  util::parallel_for(todo.size(), std::max(1u, options.jobs), [&](std::size_t k, unsigned) {
    if (cancelled()) return;
    const std::size_t i = todo[k];
    util::JournalEntry entry;
    try {
      entry.value = util::format_throughput(labeller.label(blocks[i]));
    } catch (const mca::LabelError& e) {
      entry.note = e.what();
    }
    result.labels[i] = from_entry(entry);
    journal.record(i, entry);
    if (progress) progress->advance();
  });
  if (progress) progress->finish();
  if (cancelled()) {
    result.interrupted = true;
    return result;
  }
  if (write_output) write_output(result);
  journal.remove();
  return result;
}

}  // namespace surrogate::dataset
