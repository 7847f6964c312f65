#include "measure/code_buffer.h"

#include <sys/mman.h>
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

}  // namespace

CodeBuffer::CodeBuffer(size_t slots, size_t slot_bytes)
    : slots_(slots), slot_bytes_((slot_bytes + kPage - 1) / kPage * kPage) {
  const size_t code_bytes = slots_ * slot_bytes_;
  fd_ = memfd_create("surrogate-code", MFD_CLOEXEC);
  if (fd_ < 0) fail("memfd_create(code)");
  if (ftruncate(fd_, static_cast<off_t>(code_bytes)) != 0) fail("ftruncate(code)");
  void* rw = mmap(nullptr, code_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (rw == MAP_FAILED) fail("mmap(code, rw)");
  writable_ = static_cast<uint8_t*>(rw);
  // Reserve code + context contiguously, then map both views into the reservation.
  void* region = mmap(nullptr, code_bytes + kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) fail("mmap(reserve)");
  exec_ = static_cast<uint8_t*>(region);
  if (mmap(exec_, code_bytes, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd_, 0) == MAP_FAILED)
    fail("mmap(code, rx)");
  void* ctx = mmap(exec_ + code_bytes, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (ctx == MAP_FAILED) fail("mmap(context)");
  context_ = new (ctx) RunContext();
  std::memset(writable_, 0xCC, code_bytes);  // int3 everywhere code was never written
}

CodeBuffer::~CodeBuffer() {
  const size_t code_bytes = slots_ * slot_bytes_;
  if (exec_) munmap(exec_, code_bytes + kPage);
  if (writable_) munmap(writable_, code_bytes);
  if (fd_ >= 0) close(fd_);
}

uint64_t CodeBuffer::slot_address(size_t i) const {
  if (i >= slots_) throw std::out_of_range("code slot");
  return exec_begin() + i * slot_bytes_;
}

void CodeBuffer::write(size_t i, std::span<const uint8_t> code) {
  if (i >= slots_) throw std::out_of_range("code slot");
  if (code.size() > slot_bytes_) throw std::length_error("timed code larger than its slot");
  std::memcpy(writable_ + i * slot_bytes_, code.data(), code.size());
}

void CodeBuffer::run(size_t i) const {
  auto fn = reinterpret_cast<void (*)()>(slot_address(i));
  fn();
}

}  // namespace surrogate::measure
