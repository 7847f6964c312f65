#include "util/result_journal.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace surrogate {

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
  {
    std::ifstream in(path_);
    std::string line;
    if (in && std::getline(in, line) && line == header) {
      resume = true;
      while (std::getline(in, line)) {
        if (in.eof()) break;  // last line without '\n': torn write, ignore
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
  }
  if (resume) {
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

}  // namespace surrogate
