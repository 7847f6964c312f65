// AtomicFile: write a file so that readers see either nothing or all of it.
// Writes go to a temporary beside the target; commit() renames it into place.
// Destroyed without commit() (error, exception), the temporary is removed and
// the target is untouched.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace surrogate::util {

class AtomicFile {
 public:
  // path "-" means standard output; a path that exists and is not a regular
  // file (/dev/null, a pipe) is written directly. Neither is atomic.
  // Temporaries of the same path left by writers that died are removed.
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream();
  // Flushes, checks for write errors, renames into place. Throws on failure.
  void commit();

 private:
  std::string path_;
  std::string temp_;
  std::ofstream file_;
  bool committed_ = false;
  bool direct_ = false;  // not a regular file (device, pipe): written in place
};

// Throws std::runtime_error "OUTPUT: is also an input ..." when `output` is
// the same file as one of `inputs` (by identity: another spelling, a hard
// or symbolic link counts), before anything is read or written: replacing
// an input by the output loses it. "-" and files that do not exist pass.
void refuse_output_over_input(const std::string& output, const std::vector<std::string>& inputs);

// Whole-file helpers built on AtomicFile.
void write_file_atomically(const std::string& path, const std::string& contents);
// Reads a whole file; throws std::runtime_error "PATH: reason" when it can't.
std::string read_file(const std::string& path);

}  // namespace surrogate::util
