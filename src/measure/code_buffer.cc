#include "measure/code_buffer.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <system_error>

namespace surrogate::measure {
namespace {

constexpr size_t kPage = 4096;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// PROT_NONE reservation of `bytes` at a random page in [2^32, 2^46): ~2^34
// possible places, where the kernel would otherwise put it next to the last
// mapping, at a distance a block could compute.
void* reserve_at_random_address(size_t bytes) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) break;
    const uint64_t hint =
        ((uint64_t{1} << 32) + r % ((uint64_t{1} << 46) - (uint64_t{1} << 32))) & ~uint64_t{kPage - 1};
    void* p =
        mmap(reinterpret_cast<void*>(hint), bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED) return p;
  }
  void* p = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) fail("mmap(reserve)");
  return p;
}

}  // namespace

CodeBuffer::CodeBuffer(size_t slots, size_t slot_bytes)
    : slots_(slots), slot_bytes_((slot_bytes + kPage - 1) / kPage * kPage), sizes_(slots, 0) {
  const size_t code_bytes = slots_ * slot_bytes_;
  fd_ = memfd_create("surrogate-code", MFD_CLOEXEC);
  if (fd_ < 0) fail("memfd_create(code)");
  if (ftruncate(fd_, static_cast<off_t>(code_bytes)) != 0) fail("ftruncate(code)");
  // Reserve code + context contiguously, then map both views into the reservation.
  void* region = reserve_at_random_address(code_bytes + kPage);
  exec_ = static_cast<uint8_t*>(region);
  if (mmap(exec_, code_bytes, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd_, 0) == MAP_FAILED)
    fail("mmap(code, rx)");
  void* ctx = mmap(exec_ + code_bytes, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (ctx == MAP_FAILED) fail("mmap(context)");
  context_ = new (ctx) RunContext();
  const std::vector<uint8_t> int3(slot_bytes_, 0xCC);  // int3 everywhere code was never written
  for (size_t i = 0; i < slots_; ++i) write(i, int3);
}

CodeBuffer::~CodeBuffer() {
  const size_t code_bytes = slots_ * slot_bytes_;
  if (exec_) munmap(exec_, code_bytes + kPage);
  if (fd_ >= 0) close(fd_);
}

uint64_t CodeBuffer::slot_address(size_t i) const {
  if (i >= slots_) throw std::out_of_range("code slot");
  return exec_begin() + i * slot_bytes_;
}

void CodeBuffer::write(size_t i, std::span<const uint8_t> code) {
  if (i >= slots_) throw std::out_of_range("code slot");
  if (code.size() > slot_bytes_) throw std::length_error("timed code larger than its slot");
  const off_t at = static_cast<off_t>(i * slot_bytes_);
  for (size_t done = 0; done < code.size();) {
    const ssize_t n = pwrite(fd_, code.data() + done, code.size() - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("pwrite(code)");
    done += static_cast<size_t>(n);
  }
  sizes_[i] = code.size();
}

void CodeBuffer::run(size_t i) const {
  auto fn = reinterpret_cast<void (*)()>(slot_address(i));
  fn();
}

}  // namespace surrogate::measure
