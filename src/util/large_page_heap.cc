#include "util/large_page_heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace surrogate::util {

namespace {
#ifdef MADV_COLLAPSE
constexpr int kCollapse = MADV_COLLAPSE;
#else
constexpr int kCollapse = 25;  // Linux's MADV_COLLAPSE; glibc 2.36's headers predate it
#endif
}  // namespace

bool grow_heap_in_large_pages(std::size_t step_bytes) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  step_bytes = (step_bytes + kHuge - 1) / kHuge * kHuge;
  // Every allocation from the main heap (no per-buffer mmap whose pages a
  // realloc throws away), freed top memory kept, one arena for all threads
  // (glibc's per-thread arenas are separate mappings this call never sees).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, static_cast<int>(step_bytes));
  // Start the growth on a 2 MiB boundary: the break is anywhere (randomised),
  // and the heap's next allocations, from the start of the new top chunk,
  // would otherwise fill up to 2 MiB of 4 KiB pages below the first huge
  // page (0-512 faults a run, by chance). The gap is address space only,
  // never touched; glibc sees a foreign sbrk and starts its top chunk above it.
  auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  if (before != std::uintptr_t(-1) && (before & (kHuge - 1)) != 0) {
    const std::uintptr_t gap = kHuge - (before & (kHuge - 1));
    if (sbrk(static_cast<std::intptr_t>(gap)) != reinterpret_cast<void*>(-1)) before += gap;
  }
  // Make the heap grow now: one allocation past the top extends it by the
  // request plus the pad; freeing it leaves all of that as the top chunk.
  void* probe = std::malloc(step_bytes / 2);
  asm volatile("" : : "r"(probe) : "memory");  // a malloc/free pair the compiler may not drop
  const auto after = reinterpret_cast<std::uintptr_t>(sbrk(0));
  std::free(probe);
  if (before == std::uintptr_t(-1) || after <= before) return false;
  // Huge pages only where a whole aligned 2 MiB lies in the new range.
  const std::uintptr_t begin = (before + kHuge - 1) & ~(kHuge - 1), end = after & ~(kHuge - 1);
  if (end <= begin) return false;
  if (madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE) != 0) return false;
  // glibc wrote chunk headers into the new range before the advice (the
  // probe's, and the top chunk's behind it): those frames got 4 KiB pages and
  // would keep them, up to 512 faults each (measured: ~800 of a `predict`
  // run's ~1,200). Collapse each frame holding a resident page into a huge
  // page now, contents kept (Linux >= 6.1; elsewhere EINVAL, and the frames
  // stay as they were).
  unsigned char resident[kHuge / 4096];
  for (std::uintptr_t frame = begin; frame < end; frame += kHuge) {
    if (mincore(reinterpret_cast<void*>(frame), kHuge, resident) != 0) break;
    for (unsigned char page : resident)
      if (page & 1) {
        madvise(reinterpret_cast<void*>(frame), kHuge, kCollapse);
        break;
      }
  }
  return true;
}

}  // namespace surrogate::util
