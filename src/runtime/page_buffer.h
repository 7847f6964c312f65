// PageBuffer: uninitialised floats in whole 2 MiB pages, which the kernel may
// back with huge pages (a few page faults instead of one per 4 KiB: caches
// filled once per run had their page faults as a good part of a short run).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace surrogate::runtime {

class PageBuffer {
 public:
  static constexpr std::size_t kPage = std::size_t{1} << 21;
  explicit PageBuffer(std::size_t floats) {
    bytes_ = (floats * sizeof(float) + kPage - 1) / kPage * kPage;
    data_ = static_cast<float*>(std::aligned_alloc(kPage, bytes_));
    if (!data_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(data_, bytes_, MADV_HUGEPAGE);
#endif
  }
  PageBuffer(PageBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), bytes_(o.bytes_) {}
  PageBuffer& operator=(PageBuffer&&) = delete;
  ~PageBuffer() { std::free(data_); }
  float* data() const { return data_; }

 private:
  float* data_;
  std::size_t bytes_;
};

}  // namespace surrogate::runtime
