#include "util/result_journal.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace surrogate::util {

namespace {
const char kMagic[] = "surrogate-journal v1 ";
constexpr std::size_t kFlushEvery = 64;  // items
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

ResultJournal::ResultJournal(const std::string& output_path, const std::string& fingerprint)
    : path_(output_path + ".partial"), enabled_(output_path != "-") {
  std::error_code ec;
  if (std::filesystem::exists(output_path, ec) && !std::filesystem::is_regular_file(output_path, ec))
    enabled_ = false;  // /dev/null, a pipe: nothing to resume into
  if (!enabled_) return;
  const std::string header = kMagic + fingerprint;
  bool resume = false;
  std::size_t good_end = 0;  // bytes up to the last complete line
  {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream whole;
    if (in) whole << in.rdbuf();
    const std::string text = whole.str();
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string line = text.substr(start, end - start);
      good_end = end + 1;
      if (start == 0) {
        resume = line == header;
        if (!resume) break;
        continue;
      }
      auto t1 = line.find('\t');
      auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
      if (t2 == std::string::npos) continue;
      try {
        std::size_t index = std::stoull(line.substr(0, t1));
        finished_[index] = {line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)};
      } catch (const std::exception&) {
      }
    }
  }
  if (resume) {
    // A last line without '\n' is a torn write (killed mid-line, disk
    // full): cut it off, or the next record would be appended to it and
    // read back as another item's ("38" + "3\t471" = item 383).
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
  out_ << index << '\t' << entry.value << '\t' << note << '\n';
  if (++unflushed_ >= kFlushEvery) flush_locked();
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
