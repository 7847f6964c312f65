#include "util/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace surrogate::util {

namespace {

// Temporaries PATH.tmp.PID of writers that died (kill -9, power loss) are
// removed: a process of that PID no longer exists. Live writers' are kept.
void remove_stale_temporaries(const std::string& path) {
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : ".";
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH))
      std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  if (path_ == "-") return;
  std::error_code ec;
  if (std::filesystem::exists(path_, ec) && !std::filesystem::is_regular_file(path_, ec)) {
    // A device or pipe (e.g. /dev/null): write straight to it, never rename over it.
    direct_ = true;
    file_.open(path_, std::ios::binary);
    if (!file_) throw std::runtime_error(path_ + ": cannot open for writing: " + std::strerror(errno));
    return;
  }
  remove_stale_temporaries(path_);
  temp_ = path_ + ".tmp." + std::to_string(::getpid());
  file_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!file_) throw std::runtime_error(path_ + ": cannot create: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (path_ != "-" && !direct_ && !committed_) {
    file_.close();
    std::remove(temp_.c_str());
  }
}

std::ostream& AtomicFile::stream() { return path_ == "-" ? std::cout : file_; }

void AtomicFile::commit() {
  if (path_ == "-") {
    std::cout.flush();
    committed_ = true;
    return;
  }
  file_.flush();
  if (!file_) throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
  file_.close();
  if (direct_) {
    committed_ = true;
    return;
  }
  std::error_code ec;
  std::filesystem::rename(temp_, path_, ec);
  if (ec) throw std::runtime_error(path_ + ": cannot rename into place: " + ec.message());
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFile f(path);
  f.stream() << contents;
  f.commit();
}

std::string read_file(const std::string& path) {
  std::error_code dir_error;
  if (std::filesystem::is_directory(path, dir_error)) throw std::runtime_error(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  // A regular file in one read; anything else (or what a file grew by) streamed.
  std::error_code error;
  const std::uintmax_t size =
      std::filesystem::is_regular_file(path, error) ? std::filesystem::file_size(path, error) : 0;
  std::string text;
  if (!error && size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<std::size_t>(in.gcount()));
  }
  if (in.peek() != std::char_traits<char>::eof()) {
    std::ostringstream rest;
    rest << in.rdbuf();
    text += rest.str();
  }
  if (in.bad()) throw std::runtime_error(path + ": read failed");
  return text;
}

void refuse_output_over_input(const std::string& output, const std::vector<std::string>& inputs) {
  if (output == "-") return;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (std::filesystem::equivalent(output, input, ec) && !ec)
      throw std::runtime_error(output + ": is also an input (" + input +
                               "); writing the output there would replace it: choose another -o");
  }
}

}  // namespace surrogate::util
