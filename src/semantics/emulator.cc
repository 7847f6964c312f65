#include "semantics/emulator.h"

#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <vector>

#include "semantics/unicorn_library.h"

namespace surrogate::semantics {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kUserTop = std::uint64_t{1} << 47;  // canonical user addresses end here
// Instructions one run may execute (a rep-prefixed string instruction counts
// once per repetition); straight-line blocks need far fewer.
constexpr std::uint64_t kMaxInstructions = 100000;

const int kGprIds[16] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP, UC_X86_REG_RBP,
                         UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
                         UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};

const UnicornLibrary& unicorn() { return UnicornLibrary::get(); }

}  // namespace

// Host memory behind the data pages of a run, kMaxPages pages, one
// allocation per emulator: Unicorn maps a page onto it (uc_mem_map_ptr)
// instead of allocating and freeing host memory for each page it maps,
// which took a third of `optimize`'s time in munmap and page-table work.
struct PagePool {
  std::uint8_t* bytes = static_cast<std::uint8_t*>(std::aligned_alloc(kPage, Emulator::kMaxPages* kPage));
  PagePool() {
    if (!bytes) throw std::bad_alloc();
  }
  ~PagePool() { std::free(bytes); }
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;
  std::uint8_t* page(std::size_t i) const { return bytes + i * kPage; }
};

struct Emulator::Impl {
  uc_engine* uc = nullptr;
  uc_hook unmapped_hook = 0, write_hook = 0;
  PagePool pool;                                      // pool.page(i) backs pages[i]
  std::vector<std::uint64_t> pages;                   // data pages mapped in this run
  std::vector<std::pair<std::uint64_t, int>> writes;  // (address, size) of every write
  MachineState start;                                 // of this run (its memory)
  std::string map_failure;

  static bool on_unmapped(uc_engine* uc, uc_mem_type, std::uint64_t address, int, std::int64_t, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::uint64_t page = address & ~(kPage - 1);
    if (address >= kUserTop) {
      self->map_failure = "memory fault at " + hex_value(address) + " (not a user address)";
      return false;
    }
    if (self->pages.size() >= kMaxPages) {
      self->map_failure = "touches more than " + std::to_string(kMaxPages) + " pages";
      return false;
    }
    std::uint8_t* bytes = self->pool.page(self->pages.size());
    for (std::uint64_t i = 0; i < kPage; ++i) bytes[i] = initial_memory_byte(self->start, page + i);
    if (unicorn().mem_map_ptr(uc, page, kPage, UC_PROT_READ | UC_PROT_WRITE, bytes) != UC_ERR_OK) {
      self->map_failure = "memory fault at " + hex_value(address);
      return false;
    }
    self->pages.push_back(page);
    return true;
  }

  static void on_write(uc_engine*, uc_mem_type, std::uint64_t address, int size, std::int64_t, void* user) {
    static_cast<Impl*>(user)->writes.emplace_back(address, size);
  }
};

Emulator::Emulator() : impl_(std::make_unique<Impl>()) {
  if (uc_err e = unicorn().open(UC_ARCH_X86, UC_MODE_64, &impl_->uc); e != UC_ERR_OK)
    throw std::runtime_error(std::string("Unicorn: ") + unicorn().strerror(e));
  if (uc_err e = unicorn().mem_map(impl_->uc, kCodeAddress, kMaxCodeBytes + kPage, UC_PROT_READ | UC_PROT_EXEC);
      e != UC_ERR_OK)
    throw std::runtime_error(std::string("Unicorn: ") + unicorn().strerror(e));
  unicorn().hook_add(impl_->uc, &impl_->unmapped_hook, UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED,
                     reinterpret_cast<void*>(&Impl::on_unmapped), impl_.get(), 1, 0);
  unicorn().hook_add(impl_->uc, &impl_->write_hook, UC_HOOK_MEM_WRITE, reinterpret_cast<void*>(&Impl::on_write),
                     impl_.get(), 1, 0);
}

Emulator::~Emulator() {
  if (impl_->uc) unicorn().close(impl_->uc);
}

Outcome Emulator::run(std::span<const std::uint8_t> code, const MachineState& start) {
  Impl& m = *impl_;
  Outcome out;
  if (code.size() > kMaxCodeBytes) {
    out.fault = "block longer than " + std::to_string(kMaxCodeBytes) + " bytes";
    return out;
  }
  for (std::uint64_t page : m.pages) unicorn().mem_unmap(m.uc, page, kPage);
  m.pages.clear();
  m.writes.clear();
  m.map_failure.clear();
  m.start = start;

  // The code, then int3 padding; translated blocks of an earlier run dropped.
  std::vector<std::uint8_t> image(code.begin(), code.end());
  image.resize(code.size() + 16, 0xCC);
  unicorn().mem_write(m.uc, kCodeAddress, image.data(), image.size());
  unicorn().ctl(m.uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), kCodeAddress,
                kCodeAddress + kMaxCodeBytes + kPage);  // uc_ctl_remove_cache

  for (int r = 0; r < 16; ++r) unicorn().reg_write(m.uc, kGprIds[r], &start.gpr[r]);
  std::uint64_t rflags = 0x2 | (start.flags & kStatusFlags);
  unicorn().reg_write(m.uc, UC_X86_REG_RFLAGS, &rflags);
  for (int x = 0; x < 16; ++x) unicorn().reg_write(m.uc, UC_X86_REG_XMM0 + x, start.xmm[x].data());
  const std::uint64_t end = kCodeAddress + code.size();
  const uc_err e = unicorn().emu_start(m.uc, kCodeAddress, end, 0, kMaxInstructions);
  std::uint64_t rip = 0;
  unicorn().reg_read(m.uc, UC_X86_REG_RIP, &rip);
  if (e != UC_ERR_OK || rip != end) {
    if (!m.map_failure.empty()) {
      out.fault = m.map_failure;
    } else if (e == UC_ERR_INSN_INVALID) {
      out.fault = "the emulator cannot run the instruction at +" + std::to_string(rip - kCodeAddress) +
                  " (Unicorn 2 has no AVX)";
    } else if (e == UC_ERR_OK) {
      out.fault = "did not finish within " + std::to_string(kMaxInstructions) + " instructions";
    } else {
      out.fault = std::string(unicorn().strerror(e)) + " at +" + std::to_string(rip - kCodeAddress);
    }
    return out;
  }
  for (int r = 0; r < 16; ++r) unicorn().reg_read(m.uc, kGprIds[r], &out.state.gpr[r]);
  unicorn().reg_read(m.uc, UC_X86_REG_RFLAGS, &rflags);
  out.state.flags = rflags & kStatusFlags;
  for (int x = 0; x < 16; ++x) unicorn().reg_read(m.uc, UC_X86_REG_XMM0 + x, out.state.xmm[x].data());
  out.state.memory_seed = start.memory_seed;
  out.state.pointer_memory = start.pointer_memory;
  for (const auto& [address, size] : m.writes)
    for (int i = 0; i < size; ++i) {
      std::uint8_t byte = 0;
      unicorn().mem_read(m.uc, address + i, &byte, 1);
      out.written[address + i] = byte;
    }
  out.ok = true;
  return out;
}

}  // namespace surrogate::semantics
