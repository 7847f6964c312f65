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
    EXPECT_EQ(header, "hex,throughput,name");
    ASSERT_EQ(add.substr(0, 25), "4801cb4801cb4801cb4801cb,");
    EXPECT_NEAR(std::stod(add.substr(25)), 400, 20);  // cycles per 100 iterations
    EXPECT_EQ(ud2, "0f0b,," + in + ":6");             // assembly rows are named by file and line
    EXPECT_NE(r.err.find("measure.s:6: unmeasurable 0f0b: SIGILL"), std::string::npos) << r.err;
    std::string meta = slurp(out + ".meta.json");
    EXPECT_NE(meta.find("\"vendor\""), std::string::npos);
    EXPECT_NE(meta.find("\"denormal_policy\""), std::string::npos);
    EXPECT_FALSE(fs::exists(out + ".partial"));
  });
}

// A row that cannot be read is not measured: an empty result and its
// reason; the other rows are measured, in order; exit 1.
TEST(Cli, MeasureSkipsBadRows) {
  surrogate::measure::with_retries([&] {
    std::string in = write("rows.csv", "4801cb4801cb\n4801c\n4801cb75fa4801cb\n4801cb4801cb\n");
    std::string out = dir() + "/rows-measured.csv";
    Result r = run("measure --jobs=1 " + in + " -o " + out);
    ASSERT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find(in + ":2:6: odd number of hex digits"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(in + ":3:7: control flow inside the block"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("surrogate measure: 2 of 4 rows skipped"), std::string::npos) << r.err;
    std::istringstream csv(slurp(out));
    std::vector<std::string> rows;
    for (std::string line; std::getline(csv, line);) rows.push_back(line);
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[2], "4801c,");
    EXPECT_EQ(rows[3], "4801cb75fa4801cb,");
    ASSERT_EQ(rows[1].substr(0, 13), "4801cb4801cb,");
    EXPECT_NEAR(std::stod(rows[1].substr(13)), 200, 15);
    EXPECT_EQ(rows[4], rows[1]);
  });
}

}  // namespace
