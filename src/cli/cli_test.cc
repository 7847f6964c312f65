// The surrogate binary as a user runs it: outputs, errors, resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli_test_support.h"

namespace {

namespace fs = std::filesystem;
using namespace surrogate::cli_test;

TEST(Cli, SimulateWritesHexThroughputInInputOrder) {
  std::string in = write("in.csv", "hex,sources\n4801d8,x\n4801d84801d8,y\n");
  Result r = run("simulate -mcpu=haswell " + in);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 15), "hex,throughput\n");
  EXPECT_EQ(lines(r.out), 3u);
  EXPECT_NE(r.out.find("\n4801d8,"), std::string::npos);
  EXPECT_LT(r.out.find("\n4801d8,"), r.out.find("\n4801d84801d8,"));
}

TEST(Cli, UnsimulatableBlockGetsEmptyThroughputAndAReason) {
  // vpaddd zmm: LLVM's btver2 model has no scheduling information for it.
  std::string in = write("avx.s", "addq %rbx, %rax\n\nvpaddd %zmm1, %zmm2, %zmm3\n");
  Result r = run("simulate -mcpu=btver2 " + in);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), 3u);
  EXPECT_NE(r.out.find(",\n", r.out.find('\n') + 1), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("avx.s:3: cannot simulate:"), std::string::npos) << r.err;
}

TEST(Cli, BadInputIsOneLineNamingInputAndPosition) {
  std::string out = dir() + "/out.csv";
  expect_clean_failure("simulate -mcpu=haswell " + write("nonhex.csv", "4801d8\n48g1d8\n"), out,
                       "nonhex.csv:2: byte 2: not a hex digit: 'g'");
  expect_clean_failure("simulate -mcpu=haswell " + write("odd.csv", "4801d\n"), out, "odd.csv:1: byte 5: odd number");
  expect_clean_failure("simulate -mcpu=haswell " + write("empty.csv", "hex,throughput\n,100\n"), out,
                       "empty.csv:2: byte 0: empty block");
  expect_clean_failure("simulate -mcpu=haswell " + write("flow.csv", "4801d8\nebfe4801d8\n"), out,
                       "flow.csv:2: byte 0: control flow inside the block");
  expect_clean_failure("simulate -mcpu=haswell " + write("undec.csv", "4801d80f0b0f\n"), out,
                       "undec.csv:1: byte 10: cannot decode");
  expect_clean_failure("simulate -mcpu=haswell " + write("bad.s", "addq %rbx, %rax\nfrobnicate %rax\n"), out,
                       "bad.s:2: byte 0:");
  expect_clean_failure("simulate -mcpu=pentium9 " + kSample, out, "unknown CPU 'pentium9'");
  expect_clean_failure("simulate -mcpu=haswell " + dir() + "/missing.csv", out, "missing.csv: cannot open");
  expect_clean_failure("simulate --params=" + write("p.json", R"({"format": "surrogate-cpu-params", "version": 1,
      "cpu": "haswell", "opcodes": {"ADD64rr": {"micro_ops": -1}}})") + " " + kSample,
                       out, "p.json: field 'opcodes.ADD64rr.micro_ops': -1 is out of range");
  expect_clean_failure("simulate --params=" + write("syntax.json", "{\n  \"cpu\": \"haswell\",\n  oops\n}") + " " +
                           kSample,
                       out, "syntax.json:3: byte 2: invalid JSON");
}

TEST(Cli, ParamsDumpRoundTripGivesByteIdenticalOutput) {
  std::string params = dir() + "/znver4.json";
  ASSERT_EQ(run("params dump -mcpu=znver4 -o " + params).status, 0);
  std::string in = write("rt.csv", slurp(kSample).substr(0, 20000));
  Result stock = run("simulate -mcpu=znver4 " + in);
  Result edited = run("simulate --params=" + params + " " + in);
  ASSERT_EQ(stock.status, 0) << stock.err;
  ASSERT_EQ(edited.status, 0) << edited.err;
  EXPECT_GT(lines(stock.out), 100u);
  EXPECT_EQ(stock.out, edited.out);
}

// `command` (simulate or label) interrupted once its journal holds finished
// blocks exits 130 without output; run again, it finishes from the journal
// with the output of an uninterrupted run, byte for byte.
void expect_killed_run_resumes(const std::string& command, const std::string& extension) {
  std::string text = slurp(kSample);
  std::string in = write("resume.csv", text.substr(0, text.find('\n', 30000) + 1));
  std::string reference = dir() + "/reference" + extension, out = dir() + "/resumed" + extension;
  ASSERT_EQ(run(command + " -mcpu=haswell --iterations=3000 --jobs=2 " + in + " -o " + reference).status, 0);

  fs::remove(out);
  fs::remove(out + ".partial");
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    execl(kBinary.c_str(), kBinary.c_str(), command.c_str(), "-mcpu=haswell", "--iterations=3000", "--jobs=2",
          in.c_str(), "-o", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Interrupt once the journal holds finished blocks (it is flushed every 64).
  for (int i = 0; i < 6000 && lines(slurp(out + ".partial")) < 70; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << command;
  EXPECT_EQ(WEXITSTATUS(status), 130) << command;
  EXPECT_FALSE(fs::exists(out)) << command;
  std::size_t journaled = lines(slurp(out + ".partial")) - 1;
  EXPECT_GE(journaled, 64u) << command;
  EXPECT_LT(journaled, lines(slurp(in)) - 1) << command << ": interrupted before the end";

  Result resumed = run(command + " -mcpu=haswell --iterations=3000 --jobs=2 " + in + " -o " + out);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(slurp(out), slurp(reference)) << command;
  EXPECT_FALSE(fs::exists(out + ".partial")) << command;
}

// -o naming an input (by another spelling too) is refused before anything
// is read or written: the input survives byte for byte.
TEST(Cli, OutputOverAnInputIsRefusedAndTheInputKept) {
  const std::string text = "hex,sources\n4801d8,mine\n";
  std::string in = write("precious.csv", text);
  for (std::string cmd : {"simulate", "label"})
    for (const std::string& out : {in, dir() + "/./precious.csv"}) {
      Result r = run(cmd + " -mcpu=haswell " + in + " -o " + out);
      EXPECT_NE(r.status, 0) << cmd;
      EXPECT_EQ(lines(r.err), 1u) << r.err;
      EXPECT_NE(r.err.find("is also an input"), std::string::npos) << r.err;
      EXPECT_EQ(slurp(in), text) << cmd << " -o " << out;
    }
}

TEST(Cli, KilledSimulationResumesWithoutRedoingFinishedBlocks) { expect_killed_run_resumes("simulate", ".csv"); }
TEST(Cli, KilledLabellingResumesWithoutRedoingFinishedBlocks) { expect_killed_run_resumes("label", ".labels"); }

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"", "simulate", "params", "params dump", "cpus", "disasm", "measure", "evaluate", "label", "train", "compile", "predict"}) {
    if (!SURROGATE_WITH_TORCH && (std::string(cmd) == "train" || std::string(cmd) == "compile")) continue;
    Result r = run(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
  }
}

TEST(Cli, CpusListsModels) {
  Result r = run("cpus");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("haswell"), std::string::npos);
  EXPECT_NE(r.out.find("znver4"), std::string::npos);
}

}  // namespace

// label -> compile -> predict, end to end on 120 blocks with a loose bound: the
// narrowest width meets it, its row is in the table and its model predicts.
TEST(Cli, CompileFindsTheNarrowestWidthMeetingTheSpec) {
  if (!SURROGATE_WITH_TORCH) GTEST_SKIP() << "built without LibTorch";
  std::string text = slurp(kSample);
  size_t cut = 0;
  for (int i = 0; i < 121; ++i) cut = text.find('\n', cut) + 1;
  std::string blocks = write("compile_blocks.csv", text.substr(0, cut));
  std::string labels = dir() + "/compile.labels";
  ASSERT_EQ(run("label -mcpu=haswell " + blocks + " -o " + labels).status, 0);
  std::string out = dir() + "/compile";
  // A spec with a loose bound over these labels: `search` and `training` tables' lines.
  auto spec_file = [&](const std::string& name, const std::string& search, const std::string& training) {
    return write(name, "[program]\ncpu = \"haswell\"\n[data]\nlabels = \"" + labels +
                           "\"\n[error]\nmax_error = 0.9\n[search]\n" + search + "[training]\n" + training +
                           "[output]\ndir = \"" + out + "\"\nmodel = \"" + out + "/chosen.srg\"\n");
  };
  std::string spec = spec_file("spec.toml", "widths = [8, 4]\njobs = 1\n", "max_epochs = 2\n");
  Result r = run("compile --spec " + spec);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("| 4 | 1 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(chosen)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("| 8 | 1 |"), std::string::npos) << "the search stops at the first width meeting the bound";
  EXPECT_TRUE(fs::exists(out + "/capacity.csv"));
  Result again = run("compile --spec " + spec);  // finished widths are not trained again
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("w4d1.srg: trained earlier, reused"), std::string::npos) << again.err;
  // Two widths at once: width 4 (reused, meets the bound at once) stops the
  // training of width 16 of its round, which can no longer be the answer
  // (long enough not to finish first: 400 epochs, no early stop).
  std::string both = spec_file("spec2.toml", "widths = [4, 16]\njobs = 2\n", "max_epochs = 400\npatience = 400\n");
  Result two = run("compile --spec " + both);
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_NE(two.err.find("w16d1: stopped, a narrower width met the bound"), std::string::npos) << two.err;
  EXPECT_NE(two.out.find("| 4 | 1 |"), std::string::npos) << two.out;
  EXPECT_EQ(two.out.find("| 16 | 1 |"), std::string::npos) << "a stopped width is left out of the table";
  EXPECT_TRUE(fs::exists(out + "/w16d1.ckpt")) << "its progress is checkpointed";
  Result p = run("predict --model " + out + "/chosen.srg " + blocks);
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(lines(p.out), 121u);

  // More training from the deployed model: its width and vocabulary, noted in the new model.
  Result more = run("train --labels " + labels + " --init " + out + "/chosen.srg --epochs 1 -o " + out + "/more");
  ASSERT_EQ(more.status, 0) << more.err;
  Result more_p = run("predict --stats --model " + out + "/more.srg " + blocks);
  ASSERT_EQ(more_p.status, 0) << more_p.err;
  EXPECT_NE(more_p.err.find("width 4, depth 1"), std::string::npos) << more_p.err;
  EXPECT_NE(slurp(out + "/more.srg").find("\"initialised_from\""), std::string::npos);
  expect_clean_failure("train --labels " + labels + " --init " + blocks, out + "/bad", "not a surrogate model file");
  EXPECT_FALSE(fs::exists(out + "/bad.srg"));

  Result e = run("evaluate --model " + out + "/chosen.srg --labels " + labels + " --plots " + out + "/eval");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.out.find("120 blocks compared"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("| application"), std::string::npos) << "the label set keeps BHive's sources";
  for (const char* png : {"/eval-scatter.png", "/eval-errors.png"}) EXPECT_EQ(slurp(out + png).substr(1, 3), "PNG");
}

TEST(Cli, BadSpecIsOneLineNamingFileAndLine) {
  if (!SURROGATE_WITH_TORCH) GTEST_SKIP() << "built without LibTorch";
  std::string spec = write("bad.toml", "[program]\ncpu = \"haswell\"\n[data]\nlabels = \"x\"\n[error]\nmax_error = \"five\"\n"
                                       "[output]\ndir = \"x\"\n");
  Result r = run("compile --spec " + spec);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("bad.toml:6"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error.max_error"), std::string::npos) << r.err;
}

TEST(Cli, EvaluateComparesPredictionsWithLabels) {
  std::string text = slurp(kSample);
  std::string blocks = write("evaluate_blocks.csv", text.substr(0, text.find('\n', 3000) + 1));
  std::string hsw = dir() + "/hsw.csv", skl = dir() + "/skl.csv";
  ASSERT_EQ(run("simulate -mcpu=haswell " + blocks + " -o " + hsw).status, 0);
  ASSERT_EQ(run("simulate -mcpu=znver4 " + blocks + " -o " + skl).status, 0);
  Result same = run("evaluate --labels " + hsw + " --predictions " + hsw + " --sources " + blocks);
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_NE(same.out.find("|   0.00% |  1.000 |"), std::string::npos) << same.out;
  EXPECT_NE(same.out.find("| application"), std::string::npos) << same.out;
  Result other = run("evaluate --labels " + hsw + " --predictions " + skl);
  ASSERT_EQ(other.status, 0) << other.err;
  EXPECT_EQ(other.out.find("|   0.00% |  1.000 |"), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("| block kind"), std::string::npos) << other.out;
}
