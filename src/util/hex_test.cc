#include "util/hex.h"
#include "util/input_error.h"

#include <gtest/gtest.h>

namespace surrogate::util {
namespace {

TEST(Hex, RoundTrip) {
  std::size_t off;
  std::string err;
  auto bytes = parse_hex("4801D8c3", &off, &err);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (std::vector<std::uint8_t>{0x48, 0x01, 0xd8, 0xc3}));
  EXPECT_EQ(to_hex(*bytes), "4801d8c3");
}

TEST(Hex, RejectsNonHexWithOffset) {
  std::size_t off = 0;
  std::string err;
  EXPECT_FALSE(parse_hex("4801zz", &off, &err));
  EXPECT_EQ(off, 4u);
  EXPECT_NE(err.find("'z'"), std::string::npos);
}

TEST(Hex, RejectsOddLength) {
  std::size_t off = 0;
  std::string err;
  EXPECT_FALSE(parse_hex("480", &off, &err));
  EXPECT_EQ(off, 3u);
  EXPECT_NE(err.find("odd"), std::string::npos);
}

// Input quoted in a message (an assembler's complaint about a line that
// holds a vertical tab, a file name with a newline) cannot break the
// one-line promise: found by the block_text fuzz target.
TEST(InputError, MessagesStayOnOneLine) {
  const InputError e({"a\nb.s", 2, 0}, "invalid instruction mnemonic '\"0\n\v;he'");
  EXPECT_EQ(std::string(e.what()), "a\\nb.s:2:1: invalid instruction mnemonic '\"0\\n\\x0b;he'");
  EXPECT_EQ(e.reason(), "invalid instruction mnemonic '\"0\\n\\x0b;he'");
  EXPECT_EQ(std::string(InputError({"t.s", 1, 0}, "tab\tstays").what()), "t.s:1:1: tab\tstays");
}

}  // namespace
}  // namespace surrogate::util
