#include "util/large_page_heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace surrogate::util {

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
  // Make the heap grow now: one allocation past the top extends it by the
  // request plus the pad; freeing it leaves all of that as the top chunk.
  const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  void* probe = std::malloc(step_bytes / 2);
  asm volatile("" : : "r"(probe) : "memory");  // a malloc/free pair the compiler may not drop
  const auto after = reinterpret_cast<std::uintptr_t>(sbrk(0));
  std::free(probe);
  if (before == std::uintptr_t(-1) || after <= before) return false;
  // Huge pages only where a whole aligned 2 MiB lies in the new range.
  const std::uintptr_t begin = (before + kHuge - 1) & ~(kHuge - 1), end = after & ~(kHuge - 1);
  if (end <= begin) return false;
  return madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE) == 0;
}

}  // namespace surrogate::util
