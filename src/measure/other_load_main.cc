// surrogate_other_load COMMAND [ARGS...]: runs COMMAND while a spinner, a
// waker and a cache thrasher are pinned to each CPU this process may use
// (other_load_test_support.h, the load HarnessTest.OtherLoad... uses), and
// exits with COMMAND's status. For benchmarks of `measure` under load
// (BENCHMARKS.md section 14); not installed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "measure/other_load_test_support.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: surrogate_other_load COMMAND [ARGS...]\n");
    return 2;
  }
  surrogate::measure::OtherLoad load;
  std::fprintf(stderr, "surrogate_other_load: %zu load processes\n", load.processes());
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    std::perror(argv[1]);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
