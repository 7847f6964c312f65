// Helpers for tests that run the surrogate binary as a user does.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>
#include <csignal>
#include <chrono>
#include <thread>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "util/scratch_dir_test_support.h"

namespace surrogate::cli_test {

inline const std::string kBinary = std::string(SURROGATE_BINARY_DIR) + "/bin/surrogate";
inline const std::string kSample = std::string(SURROGATE_SOURCE_DIR) + "/data/bhive-sample.csv";

struct Result {
  int status = -1;
  std::string out, err;
};

// A directory of this test process's own, removed when the process exits.
inline const std::string& dir() {
  static const util::ScratchDir scratch("surrogate_cli_");
  return scratch.dir();
}

inline std::string write(const std::string& name, const std::string& contents) {
  std::string path = dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The lines of the file at `path`, without their newlines.
inline std::vector<std::string> lines_of(const std::string& path) {
  std::istringstream in(slurp(path));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The shipped sample's header and its first `rows` rows, written as `name`.
inline std::string write_sample_rows(const std::string& name, int rows) {
  const std::string text = slurp(kSample);
  std::size_t cut = 0;
  for (int row = 0; row <= rows; ++row) cut = text.find('\n', cut) + 1;
  return write(name, text.substr(0, cut));
}

// Runs `surrogate ARGS` through the shell, capturing both streams.
// `env`: NAME=VALUE assignments for the command, or empty.
inline Result run_with_env(const std::string& env, const std::string& args) {
  std::string out = dir() + "/stdout", err = dir() + "/stderr";
  Result r;
  int rc = std::system(((env.empty() ? "" : env + " ") + kBinary + " " + args + " >" + out + " 2>" + err).c_str());
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}
inline Result run(const std::string& args) { return run_with_env("", args); }

inline std::size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

// `surrogate ARGS -o OUTPUT` fails cleanly: one line on stderr containing
// `expected` (the input and position), a non-zero exit, no output file and no
// temporary left behind.
inline void expect_clean_failure(const std::string& args, const std::string& output, const std::string& expected) {
  std::filesystem::remove(output);
  Result r = run(args + " -o " + output);
  EXPECT_NE(r.status, 0) << args;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr: " << r.err << "expected: " << expected;
  EXPECT_FALSE(std::filesystem::exists(output)) << args;
  for (auto& entry : std::filesystem::directory_iterator(dir()))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << "temporary left: " << entry.path();
}

// Runs `surrogate ARGS...` (its output to /dev/null), sends it `signal` once
// ready() holds (polled every 5 ms, at most 30 s) and returns its wait status.
inline int run_and_signal_when(const std::vector<std::string>& args, const std::function<bool()>& ready, int signal) {
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "w", stdout);
    std::vector<char*> argv{const_cast<char*>(kBinary.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kBinary.c_str(), argv.data());
    _exit(127);
  }
  for (int i = 0; i < 6000 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

}  // namespace surrogate::cli_test
