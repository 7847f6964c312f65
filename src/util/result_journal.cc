#include "util/result_journal.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace surrogate::util {

namespace {
const char kMagic[] = "surrogate-journal v2 ";

// 8 hex digits: the low half of the record's fingerprint (FNV-1a-64).
std::string check_of(const std::string& record) { return fingerprint_of(record).substr(8); }

// The entry of a record line "<index>\t<value>\t<note>\t<check>", or false
// when the line is not one whole good record.
bool parse_record(const std::string& line, std::size_t* index, JournalEntry* entry) {
  const auto t3 = line.rfind('\t');
  if (t3 == std::string::npos || line.size() - t3 - 1 != 8) return false;
  const std::string record = line.substr(0, t3);
  if (check_of(record) != line.substr(t3 + 1)) return false;
  const auto t1 = record.find('\t');
  const auto t2 = t1 == std::string::npos ? t1 : record.find('\t', t1 + 1);
  if (t2 == std::string::npos || t1 == 0) return false;
  for (std::size_t i = 0; i < t1; ++i)
    if (record[i] < '0' || record[i] > '9') return false;
  try {
    *index = std::stoull(record.substr(0, t1));
  } catch (const std::exception&) {
    return false;
  }
  *entry = {record.substr(t1 + 1, t2 - t1 - 1), record.substr(t2 + 1)};
  return true;
}
}  // namespace

std::string fingerprint_of(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

ResultJournal::ResultJournal(const std::string& output_path, const std::string& fingerprint, std::size_t flush_every)
    : path_(output_path + ".partial"),
      enabled_(output_path != "-"),
      flush_every_(std::max<std::size_t>(1, flush_every)) {
  std::error_code ec;
  if (std::filesystem::exists(output_path, ec) && !std::filesystem::is_regular_file(output_path, ec))
    enabled_ = false;  // /dev/null, a pipe: nothing to resume into
  if (!enabled_) return;
  const std::string header = kMagic + fingerprint;
  bool resume = false;
  std::size_t good_end = 0;  // bytes up to the end of the last good record
  {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream whole;
    if (in) whole << in.rdbuf();
    const std::string text = whole.str();
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string line = text.substr(start, end - start);
      if (start == 0) {
        resume = line == header;
        if (!resume) break;
        good_end = end + 1;
        continue;
      }
      std::size_t index;
      JournalEntry entry;
      if (!parse_record(line, &index, &entry)) break;  // torn or corrupt: the log ends here
      finished_[index] = std::move(entry);
      good_end = end + 1;
    }
  }
  if (resume) {
    // Cut off whatever follows the last good record (a line torn by a kill or
    // a full disk, a corrupt record and all after it), or the next record
    // would be appended to the fragment and read back as another item's.
    std::error_code cut;
    if (std::filesystem::file_size(path_, cut) != good_end) std::filesystem::resize_file(path_, good_end, cut);
    if (cut) throw std::runtime_error(path_ + ": cannot repair journal: " + cut.message());
    out_.open(path_, std::ios::app);
  } else {
    out_.open(path_, std::ios::trunc);
    out_ << header << '\n';
    out_.flush();
  }
  if (!out_) throw std::runtime_error(path_ + ": cannot write journal: " + std::strerror(errno));
}

ResultJournal::~ResultJournal() {
  std::lock_guard lock(mutex_);
  if (out_.is_open()) flush_locked();
}

void ResultJournal::record(std::size_t index, const JournalEntry& entry) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  std::string note = entry.note;
  for (char& c : note)
    if (c == '\n' || c == '\t') c = ' ';
  std::string value = entry.value;
  for (char& c : value)
    if (c == '\n' || c == '\t') c = ' ';
  const std::string record = std::to_string(index) + '\t' + value + '\t' + note;
  out_ << record << '\t' << check_of(record) << '\n';
  if (++unflushed_ >= flush_every_) flush_locked();
}

void ResultJournal::flush_locked() {
  out_.flush();
  unflushed_ = 0;
}

void ResultJournal::remove() {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  out_.close();
  std::remove(path_.c_str());
}

}  // namespace surrogate::util
