#include "util/large_page_heap.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace surrogate::util {
namespace {

// THP as the kernel offers it: "always", "madvise" or "never" (the bracketed word).
std::string transparent_huge_pages() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  const auto open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos ? "absent" : line.substr(open + 1, close - open - 1);
}

// Whether every mapping that holds a byte of [begin, end) may have
// transparent huge pages ("THPeligible: 1" in /proc/self/smaps).
bool huge_page_eligible(std::uintptr_t begin, std::uintptr_t end) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool covering = false, all = true;
  std::uintptr_t covered = 0;
  while (std::getline(smaps, line)) {
    unsigned long long lo, hi;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      covering = lo < end && hi > begin;
      if (covering) covered += std::min<std::uintptr_t>(hi, end) - std::max<std::uintptr_t>(lo, begin);
    } else if (covering && line.rfind("THPeligible:", 0) == 0) {
      all = all && line.find('1') != std::string::npos;
    }
  }
  return all && covered == end - begin;
}

TEST(LargePageHeap, BigBuffersComeFromTheAdvisedHeapAndItsPagesAreReused) {
  const std::string thp = transparent_huge_pages();
  const bool advised = grow_heap_in_large_pages(std::size_t{8} << 20);
  // madvise(MADV_HUGEPAGE) is accepted whenever the kernel has THP, even in "never".
  if (thp != "absent") {
    EXPECT_TRUE(advised) << "THP: " << thp;
  }
  const auto heap_top = reinterpret_cast<std::uintptr_t>(sbrk(0));
  // Nothing of the new heap is resident before it is used: a 4 KiB page
  // touched before the advice would keep its 2 MiB frame out of huge pages.
  {
    constexpr std::size_t kBytes = std::size_t{4} << 20, kPage = 4096;
    void* fresh = std::malloc(kBytes);
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(fresh) + kPage - 1) & ~(kPage - 1);
    std::vector<unsigned char> resident((kBytes - kPage) / kPage);
    ASSERT_EQ(mincore(reinterpret_cast<void*>(first), resident.size() * kPage, resident.data()), 0);
    std::size_t pages = 0;
    for (unsigned char r : resident) pages += r & 1;
    EXPECT_EQ(pages, 0u) << "pages of a fresh 4 MiB allocation already resident";
    std::free(fresh);
  }
  // 4 MiB is past glibc's default mmap threshold (128 KiB, at most 32 MiB):
  // without the policy this buffer would be a mapping of its own, far above the heap.
  std::vector<char> buffer(std::size_t{4} << 20, 1);
  const auto at = reinterpret_cast<std::uintptr_t>(buffer.data());
  EXPECT_LT(at, heap_top) << "a 4 MiB buffer was mapped outside the heap";
  // All of it may be huge pages: the heap grew from a 2 MiB boundary, so no
  // 4 KiB-page stretch lies between the old break and the first huge page.
  if (thp == "always" || thp == "madvise") {
    EXPECT_TRUE(huge_page_eligible(at, at + buffer.size())) << "THP: " << thp;
  }
  // Freed and asked again: the same memory (kept, not trimmed or unmapped).
  std::vector<char>().swap(buffer);
  std::vector<char> again(std::size_t{4} << 20, 2);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.data()), at);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(sbrk(0)), heap_top) << "the heap grew for memory it had";
}

}  // namespace
}  // namespace surrogate::util
