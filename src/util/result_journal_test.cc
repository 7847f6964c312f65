#include "util/result_journal.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace surrogate::util {
namespace {

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("surrogate_journal_") + name)).string();
}

TEST(ResultJournal, ResumesMatchingFingerprintAndIgnoresTornLine) {
  std::string out = temp_path("a.csv");
  std::remove((out + ".partial").c_str());
  {
    ResultJournal j(out, "fp1");
    j.record(3, {"123.00", ""});
    j.record(7, {"", "unsupported"});
  }
  {
    std::ofstream(out + ".partial", std::ios::app) << "9\t55";
  }  // torn write
  ResultJournal again(out, "fp1");
  ASSERT_EQ(again.finished().size(), 2u);
  EXPECT_EQ(again.finished().at(3).value, "123.00");
  EXPECT_EQ(again.finished().at(7).note, "unsupported");
  again.remove();
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

// Issue 13's sequence: killed mid-line, resumed, killed, resumed. The torn
// fragment "38" must not join the next record ("3\t471") into item 383.
TEST(ResultJournal, TornLineIsCutOffBeforeAppending) {
  std::string out = temp_path("torn.csv");
  std::remove((out + ".partial").c_str());
  {
    ResultJournal j(out, "fp1");
    j.record(1, {"2601", ""});
  }
  {
    std::ofstream(out + ".partial", std::ios::app) << "38";
  }  // killed mid-line
  {
    ResultJournal resumed(out, "fp1");
    EXPECT_EQ(resumed.finished().size(), 1u);
    resumed.record(3, {"471", ""});
  }  // killed again after a flush
  ResultJournal again(out, "fp1");
  ASSERT_EQ(again.finished().size(), 2u);
  EXPECT_EQ(again.finished().at(3).value, "471");
  EXPECT_EQ(again.finished().count(383), 0u);
  EXPECT_EQ(again.finished().at(1).value, "2601");
  again.remove();
}

// A record whose check fails (a flipped byte: bad disk, a stray write) ends
// the log: it and every record after it are cut off and done again, never
// read back as a value.
TEST(ResultJournal, ACorruptRecordEndsTheLog) {
  std::string out = temp_path("corrupt.csv");
  std::remove((out + ".partial").c_str());
  {
    ResultJournal j(out, "fp1");
    j.record(1, {"100", ""});
    j.record(2, {"200", ""});
    j.record(3, {"300", ""});
  }
  std::string text;
  {
    std::ifstream in(out + ".partial");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = text.find("\t200\t");
  ASSERT_NE(at, std::string::npos);
  text[at + 1] = '9';  // 200 -> 900, check unchanged
  {
    std::ofstream(out + ".partial", std::ios::trunc) << text << "4\t400\t\n";  // and an unchecked record
  }
  {
    ResultJournal resumed(out, "fp1");
    ASSERT_EQ(resumed.finished().size(), 1u);
    EXPECT_EQ(resumed.finished().at(1).value, "100");
    resumed.record(2, {"200", ""});
  }
  ResultJournal again(out, "fp1");
  ASSERT_EQ(again.finished().size(), 2u);
  EXPECT_EQ(again.finished().at(2).value, "200");
  EXPECT_EQ(again.finished().count(3), 0u);
  again.remove();
}

TEST(ResultJournal, DiscardsOtherFingerprint) {
  std::string out = temp_path("b.csv");
  {
    ResultJournal(out, "fp1").record(1, {"1", ""});
  }
  ResultJournal other(out, "fp2");
  EXPECT_TRUE(other.finished().empty());
  other.remove();
}

}  // namespace
}  // namespace surrogate::util
