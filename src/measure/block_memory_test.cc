// BlockMemory's on-demand pages: which stay mapped from one block to the
// next, the per-block cap, and that a kept page starts every run like a new one.
#include "measure/block_memory.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

namespace surrogate::measure {
namespace {

constexpr uint64_t kInit = 0x12345600;
// Far from the harness's own mappings and from BlockMemory::kBlockRsp.
constexpr uint64_t kFarAway = uint64_t{0x2a} << 40;

uint64_t page(int i) { return kFarAway + static_cast<uint64_t>(i) * 0x10000; }

bool mapped(uint64_t address) {
  return msync(reinterpret_cast<void*>(address & ~uint64_t{BlockMemory::kPageBytes - 1}), BlockMemory::kPageBytes,
               MS_ASYNC) == 0;
}

TEST(BlockMemory, KeepsUpToKeptPagesFromOneBlockToTheNext) {
  BlockMemory memory(kInit, /*max_faulted_pages=*/8, /*distinct_pages=*/false, /*kept_pages=*/2);
  memory.begin_block();
  ASSERT_EQ(memory.map_page(page(0) + 8), BlockMemory::MapResult::kMapped);
  ASSERT_EQ(memory.map_page(page(1)), BlockMemory::MapResult::kMapped);
  EXPECT_EQ(memory.faulted_pages(), 2u);

  memory.begin_block();  // two pages: kept
  EXPECT_TRUE(mapped(page(0)));
  EXPECT_TRUE(mapped(page(1)));
  EXPECT_EQ(memory.faulted_pages(), 0u);  // counts the new block's pages only
  EXPECT_EQ(*reinterpret_cast<const uint64_t*>(page(1)), kInit);
  ASSERT_EQ(memory.map_page(page(2)), BlockMemory::MapResult::kMapped);
  EXPECT_EQ(memory.faulted_pages(), 1u);

  memory.begin_block();  // three pages: all unmapped
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(mapped(page(i))) << i;
  EXPECT_EQ(memory.faulted_pages(), 0u);
}

TEST(BlockMemory, TheCapCountsOnlyTheCurrentBlocksPages) {
  BlockMemory memory(kInit, /*max_faulted_pages=*/3, /*distinct_pages=*/false, /*kept_pages=*/2);
  memory.begin_block();
  ASSERT_EQ(memory.map_page(page(0)), BlockMemory::MapResult::kMapped);
  ASSERT_EQ(memory.map_page(page(1)), BlockMemory::MapResult::kMapped);
  memory.begin_block();
  for (int i = 2; i < 5; ++i) EXPECT_EQ(memory.map_page(page(i)), BlockMemory::MapResult::kMapped) << i;
  EXPECT_EQ(memory.map_page(page(5)), BlockMemory::MapResult::kCapReached);
  EXPECT_FALSE(mapped(page(5)));
  memory.release_faulted_pages();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(mapped(page(i))) << i;
}

// In the distinct layout a kept page is its own page: reset() refills it
// with the init value before the next run, as it does a page mapped for the
// current block.
TEST(BlockMemory, AKeptDistinctPageStartsEveryRunFilledWithTheInitValue) {
  BlockMemory memory(kInit, /*max_faulted_pages=*/4, /*distinct_pages=*/true, /*kept_pages=*/1);
  memory.begin_block();
  ASSERT_EQ(memory.map_page(page(0)), BlockMemory::MapResult::kMapped);
  ASSERT_EQ(memory.map_page(page(1)), BlockMemory::MapResult::kMapped);
  memory.begin_block();  // two pages, one may be kept: all unmapped
  EXPECT_FALSE(mapped(page(0)));
  ASSERT_EQ(memory.map_page(page(2)), BlockMemory::MapResult::kMapped);
  memory.begin_block();  // one page: kept
  ASSERT_TRUE(mapped(page(2)));
  auto* word = reinterpret_cast<uint64_t*>(page(2) + 64);
  *word = 7;  // what the previous block left there
  ASSERT_EQ(memory.map_page(page(3)), BlockMemory::MapResult::kMapped);
  auto* other = reinterpret_cast<uint64_t*>(page(3) + 64);
  EXPECT_EQ(*other, kInit);  // distinct pages: the write above is not seen here
  memory.reset();
  EXPECT_EQ(*word, kInit);
}

}  // namespace
}  // namespace surrogate::measure
