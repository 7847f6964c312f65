// The surrogate binary as a user runs it: outputs, errors, resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
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
  // hex,throughput first (BHive's), then the input's own columns: rows can
  // be matched back to the input.
  EXPECT_EQ(r.out.substr(0, 23), "hex,throughput,sources\n");
  EXPECT_EQ(lines(r.out), 3u);
  EXPECT_NE(r.out.find("\n4801d8,103,x\n"), std::string::npos) << r.out;
  EXPECT_LT(r.out.find("\n4801d8,"), r.out.find("\n4801d84801d8,"));
  EXPECT_NE(r.out.find(",y\n"), std::string::npos) << r.out;
}

TEST(Cli, UnsimulatableBlockGetsEmptyThroughputAndAReason) {
  // vpaddd zmm: LLVM's btver2 model has no scheduling information for it.
  std::string in = write("avx.s", "addq %rbx, %rax\n\nvpaddd %zmm1, %zmm2, %zmm3\n");
  Result r = run("simulate -mcpu=btver2 " + in);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), 3u);
  EXPECT_NE(r.out.find(",," + in + ":3\n"), std::string::npos) << r.out;  // empty, then the row's name
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("avx.s:3: cannot simulate:"), std::string::npos) << r.err;
}

// synth writes blocks every command reads: the same seed, the same bytes;
// each block simulates; an unknown CPU is one line and no output.
TEST(Cli, SynthWritesBlocksThatSimulate) {
  const std::string a = dir() + "/synth-a.csv", b = dir() + "/synth-b.csv";
  ASSERT_EQ(run("synth -mcpu=haswell -n 40 --seed 5 -o " + a).status, 0);
  ASSERT_EQ(run("synth -mcpu=haswell -n 40 --seed 5 -o " + b).status, 0);
  EXPECT_EQ(slurp(a), slurp(b));
  EXPECT_EQ(lines(slurp(a)), 41u);
  EXPECT_EQ(slurp(a).rfind("hex,sources\n", 0), 0u);
  EXPECT_NE(slurp(a).find(",synth-chain\n"), std::string::npos);
  Result r = run("simulate -mcpu=haswell " + a);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(lines(r.out), 41u);
  EXPECT_EQ(r.out.find(",,"), std::string::npos) << "every block has a throughput";
  expect_clean_failure("synth -mcpu=pentium-x -n 3", dir() + "/synth-c.csv", "unknown CPU 'pentium-x'");
  // The census: each row names its form and opcode.
  const std::string census = dir() + "/census.csv";
  ASSERT_EQ(run("synth -mcpu=haswell --census -o " + census).status, 0);
  const std::string text = slurp(census);
  EXPECT_GT(lines(text), 3000u);
  for (const char* row : {",synth-census-chain-IMUL64rr\n", ",synth-census-independent-IMUL64rr\n"})
    EXPECT_NE(text.find(row), std::string::npos) << row;
  // Fork-join blocks: -n of them, every one so named, and they simulate.
  const std::string forks = dir() + "/forks.csv";
  ASSERT_EQ(run("synth -mcpu=znver4 --fork-join -n 30 --seed 2 -o " + forks).status, 0);
  const std::string fork_text = slurp(forks);
  EXPECT_EQ(lines(fork_text), 31u);
  std::size_t named = 0;
  for (std::size_t at = 0; (at = fork_text.find(",synth-fork-join\n", at)) != std::string::npos; ++at) ++named;
  EXPECT_EQ(named, 30u);
  r = run("simulate -mcpu=znver4 " + forks);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find(",,"), std::string::npos) << "every block has a throughput";
  expect_clean_failure("synth -mcpu=haswell --fork-join --census", dir() + "/synth-d.csv", "excludes");
}

TEST(Cli, BadInputIsOneLineNamingInputAndPosition) {
  std::string out = dir() + "/out.csv";
  expect_clean_failure("simulate --strict -mcpu=haswell " + write("nonhex.csv", "4801d8\n48g1d8\n"), out,
                       "nonhex.csv:2:3: not a hex digit: 'g'");
  expect_clean_failure("simulate --strict -mcpu=haswell " + write("odd.csv", "4801d\n"), out,
                       "odd.csv:1:6: odd number");
  expect_clean_failure("simulate --strict -mcpu=haswell " + write("empty.csv", "hex,throughput\n,100\n"), out,
                       "empty.csv:2:1: empty block");
  expect_clean_failure("simulate --strict -mcpu=haswell " + write("flow.csv", "4801d8\nebfe4801d8\n"), out,
                       "flow.csv:2:1: control flow inside the block");
  expect_clean_failure("simulate --strict -mcpu=haswell " + write("undec.csv", "4801d80f0b0f\n"), out,
                       "undec.csv:1:11: cannot decode");
  expect_clean_failure("simulate -mcpu=haswell " + write("bad.s", "addq %rbx, %rax\nfrobnicate %rax\n"), out,
                       "bad.s:2:1:");
  expect_clean_failure("simulate -mcpu=pentium9 " + kSample, out, "unknown CPU 'pentium9'");
  expect_clean_failure("simulate -mcpu=haswell " + dir() + "/missing.csv", out, "missing.csv: cannot open");
  expect_clean_failure("simulate --params=" + write("p.json", R"({"format": "surrogate-cpu-params", "version": 1,
      "cpu": "haswell", "opcodes": {"ADD64rr": {"micro_ops": -1}}})") +
                           " " + kSample,
                       out, "p.json: field 'opcodes.ADD64rr.micro_ops': -1 is out of range");
  expect_clean_failure(
      "simulate --params=" + write("syntax.json", "{\n  \"cpu\": \"haswell\",\n  oops\n}") + " " + kSample, out,
      "syntax.json:3:3: invalid JSON");
}

// Without --strict, bad rows get an empty result and a reason each
// (file:line:col:, 1-based), every other row is simulated, in order, and
// the command exits 1 after a summary.
TEST(Cli, BadRowsAreSkippedAndTheOthersGoOn) {
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    if (i == 10)
      text += "4801d\n";  // odd number of hex digits
    else if (i == 500)
      text += "4801d875fa4801d8\n";  // a branch inside the block
    else if (i == 998)
      text += "48zz01d8\n";  // not hex
    else
      text += i % 2 ? "4801d8\n" : "480fafc0\n";
  }
  std::string in = write("rows.csv", text);
  for (const std::string command : {"simulate", "label"}) {  // measure: measure_command_test.cc
    const std::string out = dir() + "/rows-" + command + ".csv";
    Result r = run(command + " -mcpu=haswell " + in + " -o " + out);
    EXPECT_EQ(r.status, 1) << command << r.err;
    EXPECT_NE(r.err.find(in + ":11:6: odd number of hex digits (5)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(in + ":501:7: control flow inside the block"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(in + ":999:3: not a hex digit"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("surrogate " + command +
                         ": 3 of 1000 rows skipped: 1 odd number of hex digits, 1 control flow inside the block, "
                         "1 not a hex digit"),
              std::string::npos)
        << r.err;
    std::string got = slurp(out);
    if (command == "label") {                  // a label set holds the blocks that could be read
      EXPECT_EQ(lines(got), 998u) << command;  // header + 997 rows
      continue;
    }
    ASSERT_EQ(lines(got), 1001u) << command;
    std::vector<std::string> rows;
    std::istringstream rs(got);
    for (std::string line; std::getline(rs, line);) rows.push_back(line);
    EXPECT_EQ(rows[11], "4801d,") << command;
    EXPECT_EQ(rows[501], "4801d875fa4801d8,") << command;
    EXPECT_EQ(rows[999], "48zz01d8,") << command;
    EXPECT_EQ(rows[2].rfind("4801d8,", 0), 0u) << command;
    EXPECT_GT(rows[2].size(), 7u) << command;  // has a value
    EXPECT_EQ(rows[1000].rfind("4801d8,", 0), 0u) << command;
    EXPECT_GT(rows[1000].size(), 7u) << command;
  }
  // --strict: the first bad row is fatal, nothing written.
  expect_clean_failure("simulate --strict -mcpu=haswell " + in, dir() + "/strict.csv", in + ":11:6: odd number");
}

// CSV as people write it: a byte-order mark, a header in other case and
// quotes, the hex column not first, ';' or tab separators, gzip.
TEST(Cli, CsvVariantsAreRead) {
  const std::string expect = "hex,throughput\n4801d8,103\n";
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"\xEF\xBB\xBFhex,throughput\n4801d8,7\n", expect},
      {"HEX,THROUGHPUT\n4801d8,7\n", expect},
      {"\"hex\",\"throughput\"\n\"4801d8\",7\n", expect},
      {"id,hex\n17,4801d8\n", "hex,throughput,id\n4801d8,103,17\n"},  // the input's columns follow
      {"hex;throughput\n4801d8;7\n", expect},
      {"id\thex\n1\t4801d8\n", "hex,throughput,id\n4801d8,103,1\n"}};
  for (const auto& [text, want] : variants) {
    Result r = run("simulate -mcpu=haswell " + write("variant.csv", text));
    EXPECT_EQ(r.status, 0) << text << r.err;
    EXPECT_EQ(r.out, want) << text;
  }
  const std::string plain = write("plain.csv", "hex\n4801d8\n");
  ASSERT_EQ(std::system(("gzip -kf " + plain).c_str()), 0);
  Result gz = run("simulate -mcpu=haswell " + plain + ".gz");
  EXPECT_EQ(gz.status, 0) << gz.err;
  EXPECT_EQ(gz.out, expect);
  // A format forced: hex lines read as assembly fail as assembly.
  Result forced = run("simulate -mcpu=haswell --input-format=asm " + plain);
  EXPECT_NE(forced.status, 0);
  expect_clean_failure("simulate -mcpu=haswell " + dir(), dir() + "/d.csv", "is a directory");
  // Text that is no block file at all is said to be so, not only an assembler error.
  expect_clean_failure("simulate -mcpu=haswell " + write("notes.txt", "Dear diary,\ntoday I measured.\n"),
                       dir() + "/n.csv", "not a block file? 'Dear diary,' is neither hex");
  expect_clean_failure("simulate -mcpu=haswell " + write("junk.bin", std::string("\x01\x02\x00\x7f\x00\x05", 6)),
                       dir() + "/j.csv", "not a block file: binary data, and not ELF");
}

// A row whose trailing branch is not simulated (BHive's convention) keeps
// it in its output hex, so rows of different branches stay apart and join.
TEST(Cli, TrailingBranchStaysInTheRowsHex) {
  Result r = run("simulate -mcpu=haswell " + write("branches.csv", "4801c3eb00\n4801c3c3\n4801c374fe\n4801c3\n"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hex,throughput\n4801c3eb00,103\n4801c3c3,103\n4801c374fe,103\n4801c3,103\n");
}

// llvm-mca's habits: one-dash long options, -mcpu=help and native, help,
// -V; usage errors exit 2; a write error on standard output is an error.
TEST(Cli, LlvmMcaHabits) {
  const std::string in = write("habit.csv", "4801d8\n");
  Result jobs = run("simulate -mcpu=haswell -jobs=1 -iterations=100 " + in);
  EXPECT_EQ(jobs.status, 0) << jobs.err;
  Result dispatch = run("simulate -mcpu=haswell -dispatch=1 " + write("two.csv", "4801d84801d9\n"));
  EXPECT_EQ(dispatch.status, 0) << dispatch.err;
  EXPECT_EQ(dispatch.out, "hex,throughput\n4801d84801d9,203\n");  // one instruction per cycle, 100 iterations
  Result help = run("simulate -mcpu=help " + in);
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("\nznver4\n"), std::string::npos);
  Result native = run("simulate -mcpu=native " + in);
  EXPECT_EQ(native.status, 0) << native.err;
  EXPECT_NE(native.err.find("-mcpu=native is "), std::string::npos) << native.err;
  EXPECT_EQ(run("help simulate").status, 0);
  EXPECT_NE(run("help simulate").out.find("--mcpu"), std::string::npos);
#if SURROGATE_WITH_TORCH
  EXPECT_NE(run("help tune").out.find("--surrogate"), std::string::npos);  // run by surrogate-nn: its help
#endif
  EXPECT_EQ(run("-V").status, 0);
  Result json = run("simulate -mcpu=haswell -json " + write("j.csv", "hex,id\n4801d8,a\n4801d,b\n"));
  EXPECT_EQ(json.status, 1) << json.err;  // the second row is bad
  EXPECT_NE(json.out.find("\"hex\": \"4801d8\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"throughput\": 103.0"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"throughput\": null"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"id\": \"b\""), std::string::npos) << json.out;
  // llvm-mca's view flags: the block's resource pressure and timings as text.
  Result views = run("simulate -mcpu=haswell -resource-pressure " + write("chain.s", "imulq %rax, %rax\n"));
  EXPECT_EQ(views.status, 0) << views.err;
  EXPECT_NE(views.out.find("Total cycles: 303"), std::string::npos) << views.out;
  EXPECT_NE(views.out.find("imulq %rax, %rax"), std::string::npos) << views.out;
  EXPECT_NE(views.out.find("Busiest resource: HWPort1 at 33% of its capacity"), std::string::npos) << views.out;
  EXPECT_NE(views.out.find("Bottleneck: data dependencies"), std::string::npos) << views.out;
  Result piped = run("simulate -mcpu=haswell < " + in);  // no file: standard input, as llvm-mca
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.out, "hex,throughput\n4801d8,103\n");
  Result misspelt = run("simulate --jbos 8 " + in);  // a misspelt option is named, with the nearest one
  EXPECT_EQ(misspelt.status, 2);
  EXPECT_EQ(misspelt.err,
            "surrogate simulate: unknown option '--jbos'; did you mean '--jobs'? ('surrogate help simulate' lists "
            "them)\n");
  // Named even where it makes a required option look missing.
  EXPECT_EQ(run("optimize --mcpuu haswell " + in).err,
            "surrogate optimize: unknown option '--mcpuu'; did you mean '--mcpu'? ('surrogate help optimize' lists "
            "them)\n");
  EXPECT_EQ(run("").status, 2);
  // Any other usage error is one line, naming the command (CLI11 alone adds "Run with --help ...").
  Result range = run("simulate -mcpu=haswell --jobs 0 " + in);
  EXPECT_EQ(range.status, 2);
  EXPECT_EQ(range.err.rfind("surrogate simulate: --jobs: ", 0), 0u) << range.err;
  EXPECT_EQ(std::count(range.err.begin(), range.err.end(), '\n'), 1) << range.err;
  EXPECT_TRUE(range.out.empty()) << range.out;
  if (std::filesystem::exists("/dev/full")) {
    const std::string err = dir() + "/full-stderr";
    const int rc = std::system((kBinary + " simulate -mcpu=haswell " + in + " >/dev/full 2>" + err).c_str());
    EXPECT_EQ(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 1);
    EXPECT_NE(slurp(err).find("standard output: write failed"), std::string::npos) << slurp(err);
  }
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

// `command` (simulate or label) stopped once its journal holds finished
// blocks: by SIGINT it exits 130 without output; by SIGKILL (kill -9, at a
// moment of the job's choosing, mid-flush perhaps) it just dies. Run again,
// it finishes from the journal with the output of an uninterrupted run,
// byte for byte, and leaves no temporary behind.
void expect_killed_run_resumes(const std::string& command, const std::string& extension, int signal = SIGINT) {
  std::string text = slurp(kSample);
  std::string in = write("resume.csv", text.substr(0, text.find('\n', 30000) + 1));
  std::string reference = dir() + "/reference" + extension, out = dir() + "/resumed" + extension;
  ASSERT_EQ(run(command + " -mcpu=haswell --iterations=3000 --jobs=2 " + in + " -o " + reference).status, 0);

  fs::remove(out);
  fs::remove(out + ".partial");
  // Interrupt once the journal holds finished blocks (it is flushed every 64).
  const int status = run_and_signal_when(
      {command, "-mcpu=haswell", "--iterations=3000", "--jobs=2", in, "-o", out},
      [&] { return lines(slurp(out + ".partial")) >= 70; }, signal);
  if (signal == SIGINT) {
    ASSERT_TRUE(WIFEXITED(status)) << command;
    EXPECT_EQ(WEXITSTATUS(status), 130) << command;
  } else {
    ASSERT_TRUE(WIFSIGNALED(status)) << command << " finished before the kill";
  }
  EXPECT_FALSE(fs::exists(out)) << command;
  std::size_t journaled = lines(slurp(out + ".partial")) - 1;
  EXPECT_GE(journaled, 64u) << command;
  EXPECT_LT(journaled, lines(slurp(in)) - 1) << command << ": interrupted before the end";

  Result resumed = run(command + " -mcpu=haswell --iterations=3000 --jobs=2 " + in + " -o " + out);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(" rows were taken from " + out + ".partial"), std::string::npos) << resumed.err;
  EXPECT_EQ(slurp(out), slurp(reference)) << command;
  EXPECT_FALSE(fs::exists(out + ".partial")) << command;
  for (const auto& f : fs::directory_iterator(dir()))
    EXPECT_EQ(f.path().string().find(out + ".tmp."), std::string::npos) << f.path() << " left behind";
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
TEST(Cli, SimulationKilledWithSigkillResumesByteIdentical) { expect_killed_run_resumes("simulate", ".csv", SIGKILL); }
TEST(Cli, LabellingKilledWithSigkillResumesByteIdentical) { expect_killed_run_resumes("label", ".labels", SIGKILL); }

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"", "simulate", "params", "params dump", "cpus", "disasm", "measure", "evaluate", "label",
                          "train", "compile", "adapt", "predict", "tune"}) {
    if (!SURROGATE_WITH_TORCH &&
        (std::string(cmd) == "train" || std::string(cmd) == "compile" || std::string(cmd) == "adapt"))
      continue;
    Result r = run(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
  }
}

// tune as a user runs it: haswell's parameters fitted to blocks "measured"
// by skylake's model; the params file it writes is what simulate --params
// reads, and is closer to the "host" on the test split (the report says);
// kill -9 midway, run again: the same bytes. Bad input: one line, no output.
TEST(Cli, TuneWritesParamsThatSimulateAndResumesAfterSigkill) {
  const std::string blocks = write_sample_rows("tune_blocks.csv", 300);
  const std::string measured = dir() + "/tune_measured.csv";
  ASSERT_EQ(run("simulate -mcpu=skylake " + blocks + " -o " + measured).status, 0);
  const std::string reference = dir() + "/tune_ref.json", killed = dir() + "/tune_killed.json";
  fs::remove(reference);
  fs::remove(killed);
  const std::string args = " -mcpu=haswell --measured " + measured + " --max-sweeps 2 --min-support 10 -j 1 -o ";
  Result r = run("tune" + args + reference);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("| **test (unused until now)** |"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("simulate --params " + reference), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir() + "/tune_ref.report.md"));
  Result sim = run("simulate --params " + reference + " " + blocks);
  ASSERT_EQ(sim.status, 0) << sim.err;
  EXPECT_EQ(lines(sim.out), 301u);

  const int status = run_and_signal_when(
      {"tune", "-mcpu=haswell", "--measured", measured, "--max-sweeps", "2", "--min-support", "10", "-j", "1", "-o",
       killed},
      [&] { return fs::exists(killed + ".state"); }, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << "tune finished before the kill";
  EXPECT_FALSE(fs::exists(killed));
  Result resumed = run("tune" + args + killed);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  EXPECT_TRUE(slurp(killed) == slurp(reference)) << "different bytes after the resume";
  EXPECT_FALSE(fs::exists(killed + ".state"));

  const std::string out = dir() + "/tune_bad.json";
  expect_clean_failure("tune -mcpu=pentium9 --measured " + measured, out, "unknown CPU 'pentium9'");
  expect_clean_failure("tune -mcpu=haswell --measured " + dir() + "/missing.csv", out, "missing.csv");
  expect_clean_failure("tune -mcpu=haswell --measured " + write("tune_few.csv", "hex,throughput\n4801d8,100\n"), out,
                       "tuning needs at least");
  expect_clean_failure("tune -mcpu=haswell --method=annealing --measured " + measured, out, "unknown method");
  // The gradient method's parameter surrogate: none shipped for haswell's model, a missing file, another model's.
  expect_clean_failure("tune -mcpu=haswell --method=gradient --surrogate shipped --measured " + measured, out,
                       "no parameter surrogate shipped for haswell's model; 'surrogate train-conditioned");
  expect_clean_failure("tune -mcpu=haswell --method=gradient --surrogate " + dir() + "/none.pt --measured " + measured,
                       out, "none.pt: no such parameter surrogate file");
  expect_clean_failure("tune -mcpu=haswell --method=gradient --surrogate " + std::string(SURROGATE_SOURCE_DIR) +
                           "/models/params-znver4.pt --measured " + measured,
                       out, "not of haswell");
}

// optimize on two hand-written blocks: a dead mov goes with everything live;
// imul by 4 becomes lea only where the flags are dead (here: rax live).
// Bad live-out and unknown CPU: one line, no output.
// ELF input: each block's live-out comes from the function's control flow,
// so a dead register write can go and flags dead before `ret` let imul
// become lea; with everything live neither may happen.
TEST(Cli, OptimizeTakesLivenessFromAnElfsControlFlow) {
  const std::string src = write("lv.s", ".text\n.globl f\nf:\n  movq $7, %rcx\n  imulq $4, %rax, %rax\n  ret\n");
  const std::string obj = src + ".o";
  ASSERT_EQ(std::system(("cc -c -o " + obj + " " + src).c_str()), 0);
  const std::string model = std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg";
  Result derived = run("optimize --mcpu haswell --model " + model + " " + obj);
  ASSERT_EQ(derived.status, 0) << derived.err;
  EXPECT_NE(derived.out.find("48c7c107000000486bc004,488d048500000000,303,103,"), std::string::npos) << derived.out;
  EXPECT_NE(derived.out.find(",\"rax,rdx,rbx,rsp,rbp,r12,r13,r14,r15,xmm0,xmm1,memory\",z3,"), std::string::npos)
      << derived.out;
  EXPECT_NE(derived.out.find("," + obj + ":f+0x0\n"), std::string::npos) << derived.out;
  // --asm: the two blocks side by side (on standard error when the CSV is on standard output).
  Result listed = run("optimize --mcpu haswell --asm --model " + model + " " + obj);
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.err.find(obj + ":f+0x0: 303 -> 103 cycles/100 iterations (delete 0;catalogue 0 imul->lea)\n"
                                  "    movq $7, %rcx           | leaq (,%rax,4), %rax\n"
                                  "    imulq $4, %rax, %rax    |\n"),
            std::string::npos)
      << listed.err;
  EXPECT_EQ(listed.out, derived.out);
  Result all = run("optimize --mcpu haswell --live-out all --model " + model + " " + obj);
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_NE(all.out.find("48c7c107000000486bc004,48c7c107000000486bc004,303,303,"), std::string::npos) << all.out;
}

TEST(Cli, OptimizeFindsVerifiedFasterRewrites) {
  std::string in = write("opt.s", "movl $1, %eax\nmovl $2, %eax\n");
  Result r = run("optimize --mcpu haswell --model " + std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg " + in);
  ASSERT_EQ(r.status, 0) << r.err;
  // Rows of assembly (or ELF) input end with the block's name.
  EXPECT_EQ(r.out.rfind("hex,optimized_hex,cycles,optimized_cycles,predicted_cycles,live_out,verified,moves,name\n"
                        "b801000000b802000000,b802000000,53,28,",
                        0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find(",all,z3,delete 0," + in + ":1\n"), std::string::npos) << r.out;
  std::string imul = write("imul.s", "imulq $4, %rax, %rax\n");
  Result all =
      run("optimize --mcpu haswell --model " + std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg " + imul);
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_NE(all.out.find("\n486bc004,486bc004,303,303,"), std::string::npos) << all.out;
  Result rax = run("optimize --mcpu haswell --live-out rax,rbx --model " + std::string(SURROGATE_SOURCE_DIR) +
                   "/models/haswell.srg " + imul);
  ASSERT_EQ(rax.status, 0) << rax.err;
  EXPECT_NE(rax.out.find(",\"rax,rbx\",z3,catalogue 0 imul->lea"), std::string::npos) << rax.out;
  // kill -9 once a block is journaled; the rerun finishes from the journal
  // with the bytes of an uninterrupted run.
  {
    const std::string kernels = std::string(SURROGATE_SOURCE_DIR) + "/data/kernels/handwritten.s";
    const std::string model = std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg";
    const std::string reference = dir() + "/opt-ref.csv", out = dir() + "/opt-killed.csv";
    const std::string args = "optimize --mcpu haswell --budget 200 --jobs 1 --model " + model + " " + kernels;
    ASSERT_EQ(run(args + " -o " + reference).status, 0);
    fs::remove(out + ".partial");
    const int status = run_and_signal_when(
        {"optimize", "--mcpu", "haswell", "--budget", "200", "--jobs", "1", "--model", model, kernels, "-o", out},
        [&] { return lines(slurp(out + ".partial")) >= 3; }, SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status)) << "finished before the kill";
    EXPECT_FALSE(fs::exists(out));
    Result resumed = run(args + " -o " + out);
    ASSERT_EQ(resumed.status, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("taken from " + out + ".partial"), std::string::npos) << resumed.err;
    EXPECT_TRUE(slurp(out) == slurp(reference));
    // A fresh verification run (another seed) finds every rewrite equal...
    Result verified = run("verify --seed 7 " + reference);
    EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
    EXPECT_NE(verified.err.find("rewrites equal on 1000 fresh states (seed 7), "), std::string::npos) << verified.err;
    EXPECT_NE(verified.err.find(" of them proven with Z3\n"), std::string::npos) << verified.err;
  }
  // ...and a wrong one is named: mov eax, 3 claimed for mov eax, 1; mov eax, 2.
  std::string forged = write("forged.csv",
                             "hex,optimized_hex,cycles,optimized_cycles,predicted_cycles,live_out,verified,moves\n"
                             "b801000000b802000000,b803000000,53,28,28,all,tested:1000,delete 0\n");
  Result caught = run("verify " + forged);
  EXPECT_EQ(caught.status, 1);
  EXPECT_NE(caught.out.find("forged.csv:2: rax: 0x2 vs 0x3"), std::string::npos) << caught.out;
  // A wrong rewrite that 1,000 test states miss, Z3 does not: cmp rax, 12345;
  // sete cl claimed equal to mov cl, 0 (they differ only where rax = 12345).
  std::string rare = write("rare.csv",
                           "hex,optimized_hex,cycles,optimized_cycles,predicted_cycles,live_out,verified,moves\n"
                           "483d390300000f94c1,b100,100,50,50,rcx,tested:1000,forged\n");
  Result proof = run("verify " + rare);
  EXPECT_EQ(proof.status, 1);
  EXPECT_NE(proof.out.find("rare.csv:2: z3: differ in rcx"), std::string::npos) << proof.out << proof.err;
  for (const std::string bad :
       {"--mcpu haswell --live-out rax,bogus", "--mcpu nosuchcpu", "--mcpu haswell --guide sgd"}) {
    std::string out = dir() + "/opt-bad.csv";
    Result e = run("optimize " + bad + " " + in + " -o " + out);
    EXPECT_NE(e.status, 0) << bad;
    EXPECT_EQ(lines(e.err), 1u) << e.err;
    EXPECT_FALSE(fs::exists(out)) << bad;
  }
}

// --guide gradient runs in surrogate-nn (LibTorch) behind the same command
// line, finds the dead mov as the unguided search does, and gives the same
// rewrite for the same seed.
TEST(Cli, OptimizeGuidedByTheSurrogatesGradient) {
  if (!SURROGATE_WITH_TORCH) GTEST_SKIP() << "built without LibTorch";
  const std::string model = std::string(SURROGATE_SOURCE_DIR) + "/models/haswell.srg";
  std::string in = write("guided.s", "movl $1, %eax\nmovl $2, %eax\nmovl %ecx, %edx\n");
  Result r = run("optimize --mcpu haswell --guide gradient --budget 300 --model " + model + " " + in);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("b801000000b80200000089ca,89cab802000000,78,53,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",all,z3,delete 0;"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 1 blocks rewritten faster"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", 1 of them proven with Z3"), std::string::npos) << r.err;
  Result again = run("optimize --mcpu haswell --guide=gradient --budget 300 --model " + model + " " + in);
  EXPECT_EQ(again.out, r.out) << "the same seed gives the same rewrite";
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
  std::string blocks = write_sample_rows("compile_blocks.csv", 120);
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
  // The model it wrote is not replaced without --force.
  Result refused = run("compile --spec " + spec);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(lines(refused.err), 1u) << refused.err;
  EXPECT_NE(refused.err.find("chosen.srg exists: give --force"), std::string::npos) << refused.err;
  Result again = run("compile --force --spec " + spec);  // finished widths are not trained again
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("w4d1.srg: trained earlier, reused"), std::string::npos) << again.err;
  // Two widths at once: width 4 (reused, meets the bound at once) stops the
  // training of width 16 of its round, which can no longer be the answer
  // (long enough not to finish first: 400 epochs, no early stop).
  std::string both = spec_file("spec2.toml", "widths = [4, 16]\njobs = 2\n", "max_epochs = 400\npatience = 400\n");
  Result two = run("compile --force --spec " + both);
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
  // Labels that name no CPU (a CSV): the fine-tuned model keeps its base's.
  std::string csv = dir() + "/compile_sim.csv";
  ASSERT_EQ(run("simulate -mcpu=haswell " + blocks + " -o " + csv).status, 0);
  Result csv_init = run("train --labels " + csv + " --init " + out + "/chosen.srg --epochs 1 -o " + out + "/csvinit");
  ASSERT_EQ(csv_init.status, 0) << csv_init.err;
  EXPECT_NE(slurp(out + "/csvinit.srg").find("\"cpu\":\"haswell\""), std::string::npos);
  // The same training again gives the same model, byte for byte (timings go to the log).
  Result same = run("train --labels " + labels + " --init " + out + "/chosen.srg --epochs 1 -o " + out + "/same");
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_TRUE(slurp(out + "/same.srg") == slurp(out + "/more.srg")) << "identical trainings, different bytes";
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
  std::string spec = write("bad.toml",
                           "[program]\ncpu = \"haswell\"\n[data]\nlabels = \"x\"\n[error]\nmax_error = \"five\"\n"
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
  // simulate keeps the input's columns, so rows are matched by them too.
  EXPECT_NE(same.out.find("rows matched by hex, sources, may_alias\n"), std::string::npos) << same.out;
  Result other = run("evaluate --labels " + hsw + " --predictions " + skl);
  ASSERT_EQ(other.status, 0) << other.err;
  EXPECT_EQ(other.out.find("|   0.00% |  1.000 |"), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("| block kind"), std::string::npos) << other.out;
  // Rows that cannot be read are named, left out, and counted in the header.
  std::string broken = slurp(skl);
  broken.insert(broken.find('\n') + 1, "4801c,103\nzz,5\n");
  Result unreadable = run("evaluate --labels " + hsw + " --predictions " + write("broken.csv", broken));
  EXPECT_EQ(unreadable.status, 1) << unreadable.err;
  EXPECT_NE(unreadable.out.find(", 0 without a prediction, 2 unreadable)\n"), std::string::npos) << unreadable.out;
  EXPECT_NE(unreadable.err.find("broken.csv:2:"), std::string::npos) << unreadable.err;
  EXPECT_NE(unreadable.err.find("2 rows could not be read"), std::string::npos) << unreadable.err;
  // Plots into a directory that is not there: one line, no tables.
  Result nowhere = run("evaluate --labels " + hsw + " --predictions " + skl + " --plots '" + dir() + "/no such dir/x'");
  EXPECT_NE(nowhere.status, 0);
  EXPECT_EQ(nowhere.out, "");
  EXPECT_NE(nowhere.err.find("no directory"), std::string::npos) << nowhere.err;
  EXPECT_EQ(lines(nowhere.err), 1u) << nowhere.err;
}

// kill -9 of `compile` while its second width trains (the first one done,
// the second checkpointed): run again, it reuses the first, resumes the
// second from its checkpoint and writes the models an uninterrupted run
// writes, byte for byte.
TEST(Cli, CompileKilledWithSigkillResumesToTheSameModels) {
  if (!SURROGATE_WITH_TORCH) GTEST_SKIP() << "built without LibTorch";
  std::string blocks = write_sample_rows("compile_kill_blocks.csv", 120);
  std::string labels = dir() + "/compile_kill.labels";
  ASSERT_EQ(run("label -mcpu=haswell " + blocks + " -o " + labels).status, 0);
  // A bound no width meets: both are trained, the more accurate exported.
  auto spec_file = [&](const std::string& name, const std::string& out) {
    return write(name, "[program]\ncpu = \"haswell\"\n[data]\nlabels = \"" + labels +
                           "\"\n[error]\nmax_error = 0.0001\n[search]\nwidths = [4, 8]\njobs = 1\n"
                           "[training]\nmax_epochs = 40\npatience = 100\n[output]\ndir = \"" +
                           out + "\"\nmodel = \"" + out + "/chosen.srg\"\n");
  };
  const std::string reference = dir() + "/compile_ref", killed = dir() + "/compile_killed";
  fs::remove_all(reference);
  fs::remove_all(killed);
  // Exit 3: done, the bound not met.
  ASSERT_EQ(run("compile --spec " + spec_file("ref.toml", reference)).status, 3);
  const std::string spec = spec_file("killed.toml", killed);
  const int status =
      run_and_signal_when({"compile", "--spec", spec}, [&] { return fs::exists(killed + "/w8d1.ckpt"); }, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << "compile finished before the kill";
  EXPECT_TRUE(fs::exists(killed + "/w4d1.srg"));
  EXPECT_FALSE(fs::exists(killed + "/w8d1.srg"));
  EXPECT_FALSE(fs::exists(killed + "/chosen.srg"));
  Result resumed = run("compile --spec " + spec);
  ASSERT_EQ(resumed.status, 3) << resumed.err;
  EXPECT_NE(resumed.err.find("w4d1.srg: trained earlier, reused"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from " + killed + "/w8d1.ckpt"), std::string::npos) << resumed.err;
  for (const char* model : {"/w4d1.srg", "/w8d1.srg", "/chosen.srg"})
    EXPECT_TRUE(slurp(killed + model) == slurp(reference + model)) << model << ": different bytes";
}

// kill -9 of `train` once its first checkpoint is written: run again, it
// resumes from OUT.ckpt and writes the model an uninterrupted run writes,
// byte for byte.
TEST(Cli, TrainingKilledWithSigkillResumesToTheSameModel) {
  if (!SURROGATE_WITH_TORCH) GTEST_SKIP() << "built without LibTorch";
  std::string text = slurp(kSample);
  size_t cut = 0;
  for (int i = 0; i < 121; ++i) cut = text.find('\n', cut) + 1;
  std::string blocks = write("train_kill_blocks.csv", text.substr(0, cut));
  std::string labels = dir() + "/train_kill.labels";
  ASSERT_EQ(run("label -mcpu=haswell " + blocks + " -o " + labels).status, 0);
  const std::string args = " --labels " + labels + " --width 4 --epochs 40 --patience 100 -o ";
  const std::string reference = dir() + "/train_ref", killed = dir() + "/train_killed";
  ASSERT_EQ(run("train" + args + reference).status, 0);
  fs::remove(killed + ".ckpt");
  const int status = run_and_signal_when(
      {"train", "--labels", labels, "--width", "4", "--epochs", "40", "--patience", "100", "-o", killed},
      [&] { return fs::exists(killed + ".ckpt"); }, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the training finished before the kill";
  EXPECT_FALSE(fs::exists(killed + ".srg"));
  Result resumed = run("train" + args + killed);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from " + killed + ".ckpt"), std::string::npos) << resumed.err;
  EXPECT_TRUE(slurp(killed + ".srg") == slurp(reference + ".srg")) << "resumed training, different model bytes";
}
