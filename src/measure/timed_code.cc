#include "measure/timed_code.h"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <utility>
#include <vector>

#include "measure/run_context.h"

namespace surrogate::measure {
namespace {

int32_t read_int32(const uint8_t* p) {  // little-endian
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{p[i]} << (8 * i);
  return static_cast<int32_t>(v);
}

// Appends instructions at a known run-time address, so RIP-relative
// displacements to RunContext fields can be computed.
class Emitter {
 public:
  Emitter(uint64_t code_address, uint64_t context_address) : code_(code_address), context_(context_address) {}

  void bytes(std::initializer_list<uint8_t> b) { out_.insert(out_.end(), b); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

  // `opcode` ends with a ModRM byte whose mod=00, rm=101 (RIP-relative); the
  // disp32 is the last field of the instruction (no immediate follows).
  void rip_relative(std::initializer_list<uint8_t> opcode, size_t context_offset) {
    bytes(opcode);
    int64_t next = static_cast<int64_t>(address() + 4);
    int64_t disp = static_cast<int64_t>(context_ + context_offset) - next;
    if (disp < INT32_MIN || disp > INT32_MAX) throw std::logic_error("RunContext out of rip-relative reach");
    imm32(static_cast<uint32_t>(static_cast<int32_t>(disp)));
  }

  void imm32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void imm64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  void align(size_t alignment) {
    while (address() % alignment != 0) out_.push_back(0x90);  // nop, executed once
  }

  uint64_t address() const { return code_ + out_.size(); }
  size_t size() const { return out_.size(); }
  // Adds `delta` to the little-endian int32 at byte `at`; left as it is if the sum would overflow
  // (a displacement within 16 KiB of +-2 GiB: the copy then reaches its own target, as before v8).
  void add_to_int32(size_t at, int64_t delta) {
    const int64_t sum = int64_t{read_int32(&out_[at])} + delta;
    if (sum < INT32_MIN || sum > INT32_MAX) return;
    for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<uint8_t>(static_cast<uint32_t>(sum) >> (8 * i));
  }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  uint64_t code_, context_;
  std::vector<uint8_t> out_;
};

#define CTX(field) offsetof(RunContext, field)

// The block `unroll` times; see TimedCodeSpec::rip_displacements.
// The first copy's unpatched targets, with the alignment each needs.
std::vector<std::pair<uint64_t, uint32_t>> rip_targets(const TimedCodeSpec& spec, uint64_t first) {
  std::vector<std::pair<uint64_t, uint32_t>> targets;
  for (const RipDisplacement& r : spec.rip_displacements)
    if (r.offset + 4 <= spec.block.size())
      targets.push_back({first + r.instruction_end + static_cast<uint64_t>(read_int32(&spec.block[r.offset])),
                         std::max<uint32_t>(r.alignment, 1)});
  return targets;
}

// What to add to every RIP-relative target (TimedCodeSpec::rip_displacements):
// the most common residue mod 8 made zero, as before measure v10; if that
// leaves a target that must be aligned misaligned, the smallest shift below
// 64 that aligns the most of those, then the most targets mod 8.
int64_t rip_shift(const std::vector<std::pair<uint64_t, uint32_t>>& targets) {
  if (targets.empty()) return 0;
  int count[8] = {};
  for (const auto& [target, alignment] : targets) ++count[target % 8];
  int mode = 0;
  for (int m = 1; m < 8; ++m)
    if (count[m] > count[mode]) mode = m;
  const int64_t by_mode = (8 - mode) % 8;
  // Per shift: (aligned targets that must be, targets at 0 mod 8).
  const auto score = [&](int64_t shift) {
    std::pair<int, int> s{0, 0};
    for (const auto& [target, alignment] : targets) {
      const uint64_t at = target + static_cast<uint64_t>(shift);
      s.first += alignment > 1 && at % alignment == 0;
      s.second += at % 8 == 0;
    }
    return s;
  };
  const int musts =
      static_cast<int>(std::count_if(targets.begin(), targets.end(), [](const auto& t) { return t.second > 1; }));
  if (score(by_mode).first == musts) return by_mode;
  int64_t best = 0;
  for (int64_t shift = 1; shift < 64; ++shift)
    if (score(shift) > score(best)) best = shift;
  return best;
}

void emit_unrolled(Emitter& e, const TimedCodeSpec& spec) {
  const int64_t align = rip_shift(rip_targets(spec, e.address()));  // added to every target
  for (uint32_t k = 0; k < spec.unroll; ++k) {
    const size_t start = e.size();
    e.bytes(spec.block);
    const int64_t delta = align - static_cast<int64_t>(k) * static_cast<int64_t>(spec.block.size());
    for (const RipDisplacement& r : spec.rip_displacements)
      if (r.offset + 4 <= spec.block.size()) e.add_to_int32(start + r.offset, delta);
  }
}

}  // namespace

std::vector<uint8_t> emit_timed_code(const TimedCodeSpec& spec, uint64_t code_address, uint64_t context_address) {
  if (spec.unroll == 0) throw std::invalid_argument("unroll must be >= 1");
  Emitter e(code_address, context_address);

  // --- prologue (not timed) ---
  // Trapping code saves no harness state: the harness's registers and stack
  // stay with the kernel and FaultGuard (sigsetjmp), out of the block's reach.
  if (spec.returns) {
    e.bytes({0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57});  // push rbx, rbp, r12-r15
    e.rip_relative({0x48, 0x89, 0x25}, CTX(saved_rsp));                     // mov [saved_rsp], rsp
  }
  e.rip_relative({0x0F, 0xAE, 0x15}, CTX(block_mxcsr));   // ldmxcsr [block_mxcsr]
  e.bytes({0xDB, 0xE3});                                  // fninit
  e.rip_relative({0x48, 0x8B, 0x05}, CTX(iterations));    // mov rax, [iterations]
  e.rip_relative({0x48, 0x89, 0x05}, CTX(loop_counter));  // mov [loop_counter], rax
  e.bytes({0x0F, 0xAE, 0xE8});                            // lfence
  e.bytes({0x0F, 0x31});                                  // rdtsc (edx:eax)
  e.rip_relative({0x89, 0x05}, CTX(tsc_start_lo));        // mov [tsc_start_lo], eax
  e.rip_relative({0x89, 0x15}, CTX(tsc_start_hi));        // mov [tsc_start_hi], edx
  e.bytes({0x0F, 0xAE, 0xE8});                            // lfence

  // --- timed loop ---
  e.align(64);
  uint64_t loop_top = e.address();
  // lfence: the previous iteration completes before this one starts, so every
  // iteration is a fresh run from the initial state (as each of BHive's runs
  // is) and iterations cannot overlap; the fill and drain this costs are the
  // same at both unroll factors and cancel in the difference.
  e.bytes({0x0F, 0xAE, 0xE8});                         // lfence
  e.rip_relative({0x48, 0x8B, 0x25}, CTX(block_rsp));  // mov rsp, [block_rsp]
  if (spec.has_avx) e.bytes({0xC5, 0xF8, 0x77});       // vzeroupper: upper halves 0, state clean
  if (spec.has_avx512) {
    // vzeroupper leaves zmm16-31 and the mask registers alone: a block would
    // see what the previous block (or the harness's memcpy) left there.
    // 128-bit EVEX xors (AVX512VL) zero the whole zmm without a 512-bit uop,
    // which on Intel would shut port 1's vector ALU and lower the clock.
    for (uint8_t n = 0; n < 16; ++n) {  // vpxord xmm(16+n), xmm(16+n), xmm(16+n)
      const uint8_t r = n & 7;
      e.bytes({0x62, static_cast<uint8_t>(n < 8 ? 0xA1 : 0x01), static_cast<uint8_t>((n < 8 ? 0x7D : 0x3D) - 8 * r),
               0x00, 0xEF, static_cast<uint8_t>(0xC0 | r << 3 | r)});
    }
    for (uint8_t k = 0; k < 8; ++k)  // kxorw kK, kK, kK
      e.bytes({0xC5, static_cast<uint8_t>(0xFC - 8 * k), 0x47, static_cast<uint8_t>(0xC0 | k << 3 | k)});
  }
  for (uint8_t n = 0; n < 16; ++n) {  // movdqa xmmN, [vector_init]
    if (n < 8) {
      e.rip_relative({0x66, 0x0F, 0x6F, static_cast<uint8_t>((n << 3) | 5)}, CTX(vector_init));
    } else {
      e.rip_relative({0x66, 0x44, 0x0F, 0x6F, static_cast<uint8_t>(((n & 7) << 3) | 5)}, CTX(vector_init));
    }
  }
  for (uint8_t r = 0; r < 16; ++r) {  // movabs r, init_value + r x stride (all but rsp)
    if (r == 4) continue;
    e.bytes({static_cast<uint8_t>(r < 8 ? 0x48 : 0x49), static_cast<uint8_t>(0xB8 + (r & 7))});
    e.imm64(spec.init_value + r * spec.register_stride);
  }
  emit_unrolled(e, spec);
  e.rip_relative({0x48, 0xFF, 0x0D}, CTX(loop_counter));  // dec qword [loop_counter]
  e.bytes({0x0F, 0x85});                                  // jnz loop_top (rel32)
  int64_t rel = static_cast<int64_t>(loop_top) - static_cast<int64_t>(e.address() + 4);
  e.imm32(static_cast<uint32_t>(static_cast<int32_t>(rel)));

  // --- epilogue ---
  // lfence; rdtsc rather than rdtscp, which some hypervisors hide (a KVM
  // Zen 5 guest): the lfence waits for the loop to execute, as rdtscp would.
  e.bytes({0x0F, 0xAE, 0xE8});                    // lfence
  e.bytes({0x0F, 0x31});                          // rdtsc (edx:eax)
  e.bytes({0x0F, 0xAE, 0xE8});                    // lfence
  e.rip_relative({0x89, 0x05}, CTX(tsc_end_lo));  // mov [tsc_end_lo], eax
  e.rip_relative({0x89, 0x15}, CTX(tsc_end_hi));  // mov [tsc_end_hi], edx
  if (!spec.returns) {
    e.bytes(kTimedCodeEnd);  // int3: FaultGuard takes over (the end marker)
    return e.take();
  }
  e.rip_relative({0x48, 0x8B, 0x25}, CTX(saved_rsp));                     // mov rsp, [saved_rsp]
  e.bytes({0xFC});                                                        // cld (the ABI wants DF=0)
  e.bytes({0xDB, 0xE3});                                                  // fninit
  if (spec.has_avx) e.bytes({0xC5, 0xF8, 0x77});                          // vzeroupper
  e.rip_relative({0x0F, 0xAE, 0x15}, CTX(harness_mxcsr));                 // ldmxcsr [harness_mxcsr]
  e.bytes({0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B});  // pop r15-r12, rbp, rbx
  e.bytes({0xC3});                                                        // ret
  return e.take();
}

}  // namespace surrogate::measure
