#include "measure/block_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace surrogate::measure {
namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// Highest user-space address + 1 on x86-64 with 4-level paging.
constexpr uint64_t kUserLimit = uint64_t{1} << 47;

}  // namespace

BlockMemory::BlockMemory(uint64_t init_value, size_t max_faulted_pages, bool distinct_pages, size_t kept_pages)
    : init_value_(init_value),
      max_faulted_(max_faulted_pages),
      kept_(kept_pages),
      distinct_(distinct_pages),
      file_pages_(distinct_pages ? 2 + max_faulted_pages + kept_pages : 1) {
  fd_ = memfd_create("surrogate-data", MFD_CLOEXEC);
  if (fd_ < 0) fail("memfd_create(data)");
  if (ftruncate(fd_, static_cast<off_t>(file_pages_ * kPageBytes)) != 0) fail("ftruncate(data)");
  void* view = mmap(nullptr, file_pages_ * kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (view == MAP_FAILED) fail("mmap(data view)");
  view_ = static_cast<uint64_t*>(view);
  size_t stack_page = 0;
  for (uint64_t page : {kBlockRsp - kPageBytes, kBlockRsp}) {  // file pages 0 and 1, or 0 and 0
    const off_t offset = static_cast<off_t>((distinct_ ? stack_page++ : 0) * kPageBytes);
    if (mmap(reinterpret_cast<void*>(page), kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd_,
             offset) != reinterpret_cast<void*>(page))
      fail("mmap(block stack)");
  }
  stack_mapped_ = true;
  void* list = mmap(nullptr, (max_faulted_ + kept_ + 1) * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (list == MAP_FAILED) fail("mmap(fault list)");
  faulted_ = static_cast<uint64_t*>(list);
  reset();
}

BlockMemory::~BlockMemory() {
  release_faulted_pages();
  if (faulted_) munmap(faulted_, (max_faulted_ + kept_ + 1) * sizeof(uint64_t));
  if (stack_mapped_) munmap(reinterpret_cast<void*>(kBlockRsp - kPageBytes), 2 * kPageBytes);
  if (view_) munmap(view_, file_pages_ * kPageBytes);
  if (fd_ >= 0) close(fd_);
}

void BlockMemory::reset() {
  const size_t pages_in_use = distinct_ ? 2 + faulted_count_ : 1;
  for (size_t i = 0; i < pages_in_use * kPageBytes / sizeof(uint64_t); ++i) view_[i] = init_value_;
}

BlockMemory::MapResult BlockMemory::map_page(uint64_t address) {
  if (address >= kUserLimit) return MapResult::kNotMappable;
  if (faulted_count_ - block_first_ >= max_faulted_) return MapResult::kCapReached;
  uint64_t page = address & ~uint64_t{kPageBytes - 1};
  // MAP_FIXED_NOREPLACE: never clobber an existing mapping (harness memory, code).
  const off_t offset = static_cast<off_t>(file_page_of_fault(faulted_count_) * kPageBytes);
  void* p = mmap(reinterpret_cast<void*>(page), kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
                 fd_, offset);
  if (p == MAP_FAILED) return MapResult::kNotMappable;
  if (reinterpret_cast<uint64_t>(p) != page) {  // old kernels ignore NOREPLACE
    munmap(p, kPageBytes);
    return MapResult::kNotMappable;
  }
  if (distinct_) {  // a fresh page starts like every other: init value throughout
    uint64_t* words = view_ + file_page_of_fault(faulted_count_) * (kPageBytes / sizeof(uint64_t));
    for (size_t i = 0; i < kPageBytes / sizeof(uint64_t); ++i) words[i] = init_value_;
  }
  faulted_[faulted_count_++] = page;
  return MapResult::kMapped;
}

void BlockMemory::begin_block() {
  if (faulted_count_ > kept_) release_faulted_pages();
  block_first_ = faulted_count_;
}

void BlockMemory::release_faulted_pages() {
  for (size_t i = 0; i < faulted_count_; ++i) munmap(reinterpret_cast<void*>(faulted_[i]), kPageBytes);
  faulted_count_ = block_first_ = 0;
}

}  // namespace surrogate::measure
