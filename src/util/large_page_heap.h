// A heap for short batch runs that grows in large steps backed by transparent
// huge pages where the kernel allows them (THP "always" or "madvise").
//
// Why: a first touch of a 4 KiB page costs a fault, and under paravirtual
// guests (Firecracker/PVM) one fault costs ~10 us. `predict` over 12,000
// blocks touches ~14 MB: 3,490 faults, about a third of its run on the Zen 5
// guest (BENCHMARKS.md section 28). On one 2 MiB page a fault is per 2 MiB.
//
// What it changes for the whole process (call it once, early, from a
// command's main path, never from the library: the heap policy belongs to
// the program): buffers of any size come from the main heap, so the pages a
// growing vector frees are reused rather than unmapped; freed memory at the
// heap's top is kept; the heap is extended by `step_bytes` (rounded up to
// 2 MiB) at once, from a 2 MiB boundary (up to 2 MiB of address space before
// it is skipped, never touched), and that range is emptied of the pages the
// growth itself touched and advised MADV_HUGEPAGE. Only addresses are
// reserved: memory is committed on first touch, as before.
#pragma once

#include <cstddef>

namespace surrogate::util {

// True if the step was advised to use huge pages; false if the kernel said
// no (THP "never", no THP): the heap policy then still holds, the pages stay
// 4 KiB. Idempotent per process only in effect (a second call adds a step).
bool grow_heap_in_large_pages(std::size_t step_bytes);

}  // namespace surrogate::util
