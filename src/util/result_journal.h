// ResultJournal: finished per-item results of a long job, kept in a side file
// (OUTPUT.partial) so a killed job resumes without redoing them.
//
// File format (text): first line "surrogate-journal v2 <fingerprint>", then one
// line per finished item: "<index>\t<value>\t<note>\t<check>", where check is
// the last 8 hex digits of fingerprint_of("<index>\t<value>\t<note>"). The
// fingerprint names the job (inputs + options); a journal with another
// fingerprint is discarded. Lines are appended and flushed in small batches.
// On reopen the journal is truncated to its last good record, as SQLite's
// and LevelDB's logs are: the first torn, unterminated or failing-check line
// and everything after it are cut off (those items are simply done again).
#pragma once

#include <cstddef>
#include <fstream>
#include <mutex>
#include <string>
#include <unordered_map>

namespace surrogate::util {

struct JournalEntry {
  std::string value;  // e.g. throughput, empty when the item failed
  std::string note;   // e.g. the reason it failed
};

class ResultJournal {
 public:
  // Opens (and loads) output_path + ".partial" if its fingerprint matches;
  // otherwise starts a new one. Output "-" or a non-regular file (/dev/null)
  // disables journaling.
  // flush_every: records written to the file together (1 for jobs whose
  // items take seconds: a kill then loses at most the item in hand).
  ResultJournal(const std::string& output_path, const std::string& fingerprint, std::size_t flush_every = 64);
  ~ResultJournal();

  const std::unordered_map<std::size_t, JournalEntry>& finished() const { return finished_; }
  // Records one finished item; thread-safe.
  void record(std::size_t index, const JournalEntry& entry);
  // The job's output is safely in place: delete the journal.
  void remove();

 private:
  void flush_locked();
  std::string path_;
  bool enabled_;
  std::unordered_map<std::size_t, JournalEntry> finished_;
  std::ofstream out_;
  std::mutex mutex_;
  std::size_t unflushed_ = 0;
  std::size_t flush_every_;
};

// A stable 64-bit FNV-1a hash as 16 hex digits, for fingerprints.
std::string fingerprint_of(const std::string& text);

}  // namespace surrogate::util
