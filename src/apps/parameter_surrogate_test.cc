// A parameter surrogate made from blocks labelled only by the simulator:
// judged on blocks and tables it never saw, saved and loaded intact, found
// for every CPU of its scheduling model, resumable to the same bytes, and
// bad files are one-line errors.
#include "apps/parameter_surrogate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "apps/tuning_test_support.h"
#include "nn/trainer.h"
#include "util/atomic_file.h"

namespace surrogate::apps {
namespace {

ParameterSurrogateOptions small_options(const Scratch& s) {
  ParameterSurrogateOptions m;
  m.cpu = "haswell";
  m.blocks = s.path("blocks.csv");
  m.output = s.path("params-haswell.pt");
  m.min_support = 20;
  m.tables = 500;
  m.blocks_per_table = 24;
  m.evaluation_tables = 100;
  m.sampler.fields_per_table = 2;
  m.width = 16;
  m.epochs = 30;
  m.jobs = 2;
  return m;
}

TEST(ParameterSurrogate, LearnsTheSimulatorUnderUnseenTablesAndBlocks) {
  Scratch s;
  write_measurements(s.path("blocks.csv"), 2);
  const ParameterSurrogateOptions m = small_options(s);
  std::ostringstream log;
  const ParameterSurrogateResult r = make_parameter_surrogate(m, log, {});
  ASSERT_FALSE(r.interrupted) << log.str();
  EXPECT_EQ(r.blocks, 400u);
  EXPECT_GT(r.unseen_blocks, 40u);
  EXPECT_GT(r.samples, 500u * 10) << log.str();
  // The simulator's cycles under tables and on blocks it never trained on,
  // and it reads the parameters: far closer than the cycles under LLVM's values.
  EXPECT_LT(r.unseen_tables_mape, 0.20) << log.str();
  EXPECT_LT(r.unseen_blocks_mape, 0.20) << log.str();
  EXPECT_GT(r.unseen_blocks_blind_mape, 0.15) << log.str();
  EXPECT_LT(r.unseen_blocks_mape, 0.7 * r.unseen_blocks_blind_mape) << log.str();
  EXPECT_GT(r.unseen_blocks_tau, 0.7) << log.str();
  EXPECT_FALSE(std::filesystem::exists(m.output + ".state"));

  ParameterSurrogate loaded = load_parameter_surrogate(m.output);
  EXPECT_EQ(loaded.cpu, "haswell");
  EXPECT_EQ(loaded.sched_model, "HW");
  EXPECT_EQ(loaded.info.at("samples").get<std::size_t>(), r.samples);
  EXPECT_EQ(loaded.model->shape().width, 16);
  EXPECT_FALSE(loaded.fingerprint.empty());
  // Saved again, the same bytes.
  save_parameter_surrogate(s.path("again.pt"), loaded);
  EXPECT_EQ(util::read_file(s.path("again.pt")), util::read_file(m.output));

  EXPECT_EQ(find_shipped_parameter_surrogate("haswell", s.dir()), m.output);
  EXPECT_EQ(find_shipped_parameter_surrogate("x86-64-v3", s.dir()), m.output);  // the same model, HW
  EXPECT_EQ(find_shipped_parameter_surrogate("skylake", s.dir()), "");
  EXPECT_EQ(find_shipped_parameter_surrogate("haswell", s.path("none")), "");
}

TEST(ParameterSurrogate, AnInterruptedRunResumesToTheSameBytes) {
  Scratch s;
  write_measurements(s.path("blocks.csv"), 2);
  ParameterSurrogateOptions m = small_options(s);
  m.tables = 100;
  m.epochs = 4;
  std::ostringstream log;
  int calls = 0;
  ASSERT_FALSE(make_parameter_surrogate(m, log, [&] {
                 ++calls;
                 return false;
               }).interrupted);
  const std::string whole = util::read_file(m.output);
  std::filesystem::remove(m.output);
  ASSERT_GT(calls, 10);
  int seen = 0;
  ASSERT_TRUE(make_parameter_surrogate(m, log, [&] { return ++seen > calls / 2; }).interrupted);
  EXPECT_FALSE(std::filesystem::exists(m.output));
  EXPECT_TRUE(std::filesystem::exists(m.output + ".state"));
  ASSERT_FALSE(make_parameter_surrogate(m, log, {}).interrupted);
  EXPECT_EQ(util::read_file(m.output), whole);
}

TEST(ParameterSurrogate, BadInputIsOneLineAndWritesNothing) {
  Scratch s;
  write_measurements(s.path("blocks.csv"), 2);
  auto message = [](const auto& call) {
    try {
      call();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { load_parameter_surrogate(s.path("missing.pt")); }).find("missing.pt: no such"),
            std::string::npos);
  util::write_file_atomically(s.path("junk.pt"), "not an archive");
  EXPECT_NE(message([&] { load_parameter_surrogate(s.path("junk.pt")); }).find("junk.pt: not a parameter surrogate"),
            std::string::npos);

  ParameterSurrogateOptions m = small_options(s);
  std::ostringstream log;
  m.output = s.path("out.json");
  EXPECT_NE(message([&] { make_parameter_surrogate(m, log, {}); }).find("must end in .pt"), std::string::npos);
  m.output = s.path("out.pt");
  m.cpu = "no-such-cpu";
  EXPECT_NE(message([&] { make_parameter_surrogate(m, log, {}); }), "no error");
  m.cpu = "haswell";
  util::write_file_atomically(s.path("few.csv"), "hex\n4801d8\n");
  m.blocks = s.path("few.csv");
  EXPECT_NE(message([&] { make_parameter_surrogate(m, log, {}); }).find("needs at least"), std::string::npos);
  for (const char* name : {"out.json", "out.pt", "out.pt.state"}) EXPECT_FALSE(std::filesystem::exists(s.path(name)));
}

}  // namespace
}  // namespace surrogate::apps
