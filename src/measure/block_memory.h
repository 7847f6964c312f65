// BlockMemory: the data memory a block sees.
//
// The data pages a block touches: the two pages around the block's rsp
// (kBlockRsp, far from the harness's own mappings, so large rsp-relative
// offsets fault into fresh pages rather than harness memory) and any page it
// faults on, mapped on demand by map_page() from the SIGSEGV handler, all
// filled with the init value. Two ways to back them (Options::MemoryLayout):
//  shared pages   every one a mapping of ONE physical page (a memfd), BHive's
//                 method: all addresses alias modulo 4 KiB, physically too;
//  distinct pages each its own page of the memfd: two virtual pages never
//                 share a byte.
// reset() refills the pages in use before each run so every run starts from
// the same memory; release_faulted_pages() unmaps the on-demand pages after a
// block.
#pragma once

#include <cstddef>
#include <cstdint>

namespace surrogate::measure {

class BlockMemory {
 public:
  static constexpr size_t kPageBytes = 4096;
  // rsp handed to the block: 64 TiB, between the heap (low) and the mmap area (high).
  static constexpr uint64_t kBlockRsp = uint64_t{0x3f} << 40;

  // max_faulted_pages: cap on pages mapped on demand for one block.
  BlockMemory(uint64_t init_value, size_t max_faulted_pages, bool distinct_pages = false);
  ~BlockMemory();
  BlockMemory(const BlockMemory&) = delete;
  BlockMemory& operator=(const BlockMemory&) = delete;

  uint64_t block_rsp() const { return kBlockRsp; }
  // Fills the pages in use with the init value (every 64-bit word).
  void reset();

  enum class MapResult { kMapped, kCapReached, kNotMappable };
  // Maps the page holding `address` onto the shared page (or a fresh one).
  // Async-signal-safe.
  MapResult map_page(uint64_t address);
  size_t faulted_pages() const { return faulted_count_; }
  // Unmaps every page mapped by map_page since the last call.
  void release_faulted_pages();

 private:
  // Physical page (memfd page) behind the i-th on-demand page.
  size_t file_page_of_fault(size_t i) const { return distinct_ ? 2 + i : 0; }

  uint64_t init_value_;
  size_t max_faulted_;
  bool distinct_;
  size_t file_pages_;  // 1 (shared) or 2 + max_faulted_ (distinct)
  int fd_ = -1;
  uint64_t* view_ = nullptr;     // the harness's own RW view of the whole memfd
  bool stack_mapped_ = false;    // the two pages around kBlockRsp
  uint64_t* faulted_ = nullptr;  // addresses of on-demand pages (max_faulted_ entries)
  size_t faulted_count_ = 0;
};

}  // namespace surrogate::measure
