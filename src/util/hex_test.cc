#include "util/hex.h"

#include <gtest/gtest.h>

namespace surrogate {
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

}  // namespace
}  // namespace surrogate
