// surrogate measure as a user runs it (timing: ctest runs it alone, see SERIAL).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "cli/cli_test_support.h"
#include "measure/retry_on_noise_test_support.h"

namespace {

namespace fs = std::filesystem;
using namespace surrogate::cli_test;

// surrogate measure from assembly text: a dependent add chain measures about
// 1 cycle per add on any x86-64 core; a faulting block is unmeasurable with a
// reason, and the metadata names the CPU.
TEST(Cli, MeasureWritesThroughputReasonsAndMetadata) {
  surrogate::measure::with_retries([&] {
    std::string in = write("measure.s",
                           "add %rcx, %rbx\nadd %rcx, %rbx\nadd %rcx, %rbx\nadd %rcx, %rbx\n\n"
                           "ud2\n");
    std::string out = dir() + "/measured.csv";
    Result r = run("measure --jobs=1 " + in + " -o " + out);
    ASSERT_EQ(r.status, 0) << r.err;
    std::istringstream csv(slurp(out));
    std::string header, add, ud2;
    std::getline(csv, header);
    std::getline(csv, add);
    std::getline(csv, ud2);
    EXPECT_EQ(header, "hex,throughput");
    ASSERT_EQ(add.substr(0, 25), "4801cb4801cb4801cb4801cb,");
    EXPECT_NEAR(std::stod(add.substr(25)), 400, 20);  // cycles per 100 iterations
    EXPECT_EQ(ud2, "0f0b,");
    EXPECT_NE(r.err.find("measure.s:6: unmeasurable 0f0b: SIGILL"), std::string::npos) << r.err;
    std::string meta = slurp(out + ".meta.json");
    EXPECT_NE(meta.find("\"vendor\""), std::string::npos);
    EXPECT_NE(meta.find("\"denormal_policy\""), std::string::npos);
    EXPECT_FALSE(fs::exists(out + ".partial"));
  });
}

}  // namespace
