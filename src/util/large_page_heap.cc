#include "util/large_page_heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace surrogate::util {

bool grow_heap_in_large_pages(std::size_t step_bytes) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  // glibc's chunk header: the 16 bytes before the memory malloc returns.
  constexpr std::uintptr_t kHeader = 16;
  step_bytes = (step_bytes + kHuge - 1) / kHuge * kHuge;
  // Every allocation from the main heap (no per-buffer mmap whose pages a
  // realloc throws away), freed top memory kept, one arena for all threads
  // (glibc's per-thread arenas are separate mappings this call never sees).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, static_cast<int>(step_bytes));
  // Where the growth starts: the break is anywhere (randomised), and the
  // heap's next allocations, from the start of the new top chunk, would fill
  // up to 2 MiB of 4 KiB pages below the first huge page (0-512 faults a
  // run, by chance). So the break first moves to 16 bytes below a 2 MiB
  // boundary A (the gap is address space only, never touched): glibc sees a
  // foreign sbrk, starts its top chunk there, and its header lies below A.
  const auto start = reinterpret_cast<std::uintptr_t>(sbrk(0));
  if (start == std::uintptr_t(-1)) return false;
  const std::uintptr_t boundary = (start + kHeader + kHuge - 1) & ~(kHuge - 1);
  if (sbrk(static_cast<std::intptr_t>(boundary - kHeader - start)) == reinterpret_cast<void*>(-1)) return false;
  // Make the heap grow now: one allocation past the top extends it by the
  // request plus the pad; freeing it leaves all of that as the top chunk.
  void* probe = std::malloc(step_bytes / 2);
  asm volatile("" : : "r"(probe) : "memory");  // a malloc/free pair the compiler may not drop
  const auto after = reinterpret_cast<std::uintptr_t>(sbrk(0));
  std::free(probe);
  const std::uintptr_t end = after & ~(kHuge - 1);
  if (end <= boundary) return false;
  // The growth wrote a chunk header behind the probe; a frame with a 4 KiB
  // page in it keeps 4 KiB pages for good (measured: ~400 faults). All of
  // [boundary, end) is now the inside of the free top chunk, which malloc
  // writes before it reads: drop those pages, so that every frame's first
  // touch after the advice is a huge page. (Collapsing the frames instead,
  // MADV_COLLAPSE, cost 0.2-4 ms each on the Zen 5 guest.)
  madvise(reinterpret_cast<void*>(boundary), end - boundary, MADV_DONTNEED);
  return madvise(reinterpret_cast<void*>(boundary), end - boundary, MADV_HUGEPAGE) == 0;
}

}  // namespace surrogate::util
