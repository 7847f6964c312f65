#include "apps/compile_spec.h"

#include <gtest/gtest.h>

#include "util/input_error.h"

namespace surrogate::apps {
namespace {

const std::string kMinimal =
    "[program]\ncpu = \"haswell\"\n[data]\nlabels = \"d\xc3\xa9j\xc3\xa0.labels\"  # non-ASCII in strings and "
    "comments: \xc3\xa9\n[error]\nmax_error = 0.05\n[search]\nwidths = [16, 8, 16]\n[output]\ndir = \"out\"\n";

std::string error_of(const std::string& text) {
  try {
    parse_compile_spec(text, "s.toml");
  } catch (const util::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(CompileSpec, ReadsKeysAndDefaults) {
  CompileSpec s = parse_compile_spec(kMinimal, "s.toml");
  EXPECT_EQ(s.cpu, "haswell");
  EXPECT_EQ(s.labels, "d\xc3\xa9j\xc3\xa0.labels");
  EXPECT_EQ(s.max_error, 0.05);
  EXPECT_EQ(s.widths, (std::vector<std::int64_t>{8, 16}));  // sorted, duplicates dropped
  EXPECT_EQ(s.output_dir, "out");
  EXPECT_EQ(s.iterations, 100u);
}

TEST(CompileSpec, BadSpecsAreOneLineWithThePosition) {
  EXPECT_EQ(error_of("[program]\ncpu = 3\n"), "s.toml:2: program.cpu: expected a string");
  EXPECT_EQ(error_of("[program]\ncpu = \"haswell\"\n"), "s.toml: missing key data.labels");
  EXPECT_NE(error_of("[program\n").find("s.toml:1:"), std::string::npos);
}

// Characters on which toml++ 3.3 reaches undefined behaviour (upstream
// #190, #295 and what our fuzz target found) are refused before it runs.
TEST(CompileSpec, NonAsciiWhereTomlAllowsNoneIsRefused) {
  EXPECT_EQ(error_of("\xef\xbb\xbb"),
            "s.toml:1:1: non-ASCII character where TOML allows none (outside strings and comments)");
  EXPECT_EQ(error_of("\xcc\xaa"),
            "s.toml:1:1: non-ASCII character where TOML allows none (outside strings and comments)");
  EXPECT_EQ(error_of("[program]\ncpu = \"haswell\" \xc2\xa0\n"),
            "s.toml:2:17: non-ASCII character where TOML allows none (outside strings and comments)");
  EXPECT_EQ(error_of("s = \"\"\"\\\n\xc2\xa7\"\"\"\n"),
            "s.toml:2:1: non-ASCII character after a line-ending backslash");
  EXPECT_EQ(error_of(" \"\"\".05\"\n\\\xef\xba\xbf\"\"\"\n"),
            "s.toml:2:2: non-ASCII character where TOML allows none (outside strings and comments)");
  EXPECT_EQ(error_of("s = \"\"\"\\  \xc3\xa9\"\"\"\n"),
            "s.toml:1:11: non-ASCII character where TOML allows none (outside strings and comments)");
  EXPECT_EQ(error_of("a = \"\"\"q\"\"\"\"\nb = \"\"\"\\\n \xc2\xa7\"\"\"\n"),
            "s.toml:3:2: non-ASCII character after a line-ending backslash");
  // ...but not in strings of every kind, escaped quotes included.
  for (const char* value : {"\"a\\\"\xc3\xa9\"", "'\xc3\xa9'", "\"\"\"x\n\xc3\xa9\"\"\"", "'''\xc3\xa9\n'''",
                            "\"\"\"a\\\n  b\xc3\xa9\"\"\""})
    EXPECT_EQ(error_of(std::string("[output]\ndir = ") + value + "\n"), "s.toml: missing key program.cpu") << value;
}

}  // namespace
}  // namespace surrogate::apps
