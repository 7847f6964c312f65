#include "dataset/held_out_programs.h"

#include <gtest/gtest.h>

namespace surrogate::dataset {
namespace {

TEST(HeldOutPrograms, RecognisedInAnyListedSource) {
  EXPECT_TRUE(from_held_out_program("redis"));
  EXPECT_TRUE(from_held_out_program("sqlite-bench"));
  EXPECT_TRUE(from_held_out_program("gzip-compress;openssl-aes"));
  EXPECT_TRUE(from_held_out_program("libcrypto.so.3"));
  EXPECT_TRUE(from_held_out_program("libsqlite3.so.0.8.6"));
  EXPECT_FALSE(from_held_out_program("openblas-dgemm;eigen"));
  EXPECT_FALSE(from_held_out_program("unattributed"));
  EXPECT_FALSE(from_held_out_program(""));
  EXPECT_FALSE(from_held_out_program("libxml2.so.2.9.14"));
}

}  // namespace
}  // namespace surrogate::dataset
