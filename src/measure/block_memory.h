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
// the same memory. begin_block() starts the next block: the on-demand pages
// of earlier blocks stay mapped (most blocks touch the same few pages around
// the init value) unless more than `kept_pages` of them are; unmapping them
// after every block and faulting them in again took ~20% of a worker's time
// on a Firecracker Zen 5 guest (munmap with its page-table frees and TLB
// flushes 11.7%, the faults 10.8%).
#pragma once

#include <cstddef>
#include <cstdint>

namespace surrogate::measure {

class BlockMemory {
 public:
  static constexpr size_t kPageBytes = 4096;
  // rsp handed to the block: 64 TiB, between the heap (low) and the mmap area (high).
  static constexpr uint64_t kBlockRsp = uint64_t{0x3f} << 40;

  // max_faulted_pages: cap on pages mapped on demand for one block;
  // kept_pages: on-demand pages kept mapped from one block to the next.
  BlockMemory(uint64_t init_value, size_t max_faulted_pages, bool distinct_pages = false, size_t kept_pages = 0);
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
  // Pages mapped on demand since begin_block() (not those kept from earlier blocks).
  size_t faulted_pages() const { return faulted_count_ - block_first_; }
  // Starts a block: unmaps every page mapped on demand if more than
  // kept_pages are, else keeps them.
  void begin_block();
  // Unmaps every page mapped on demand.
  void release_faulted_pages();

 private:
  // Physical page (memfd page) behind the i-th on-demand page.
  size_t file_page_of_fault(size_t i) const { return distinct_ ? 2 + i : 0; }

  uint64_t init_value_;
  size_t max_faulted_, kept_;
  bool distinct_;
  size_t file_pages_;  // 1 (shared) or 2 + max_faulted_ + kept_ (distinct)
  int fd_ = -1;
  uint64_t* view_ = nullptr;     // the harness's own RW view of the whole memfd
  bool stack_mapped_ = false;    // the two pages around kBlockRsp
  uint64_t* faulted_ = nullptr;  // addresses of on-demand pages (max_faulted_ + kept_ entries)
  size_t faulted_count_ = 0;
  size_t block_first_ = 0;  // faulted_[block_first_...] were mapped for the current block
};

}  // namespace surrogate::measure
