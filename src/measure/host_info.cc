#include "measure/host_info.h"

#include <sys/utsname.h>

#include <cctype>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace surrogate::measure {

std::string HostInfo::identity() const {
  std::string id =
      vendor + "-f" + std::to_string(family) + "-m" + std::to_string(model) + "-s" + std::to_string(stepping);
  if (!brand.empty()) id += "-" + brand;
  std::string out;
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

HostInfo host_info() {
  HostInfo h;
  struct utsname u{};
  if (uname(&u) == 0) h.machine = u.machine;
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  __cpuid(0, a, b, c, d);
  char vendor[13] = {};
  std::memcpy(vendor + 0, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  h.vendor = vendor;
  if (max_leaf >= 1) {
    __cpuid(1, a, b, c, d);
    int base_family = (a >> 8) & 0xF, base_model = (a >> 4) & 0xF;
    int ext_family = (a >> 20) & 0xFF, ext_model = (a >> 16) & 0xF;
    h.stepping = a & 0xF;
    h.family = base_family == 0xF ? base_family + ext_family : base_family;
    h.model = (base_family == 0x6 || base_family == 0xF) ? (ext_model << 4) + base_model : base_model;
    h.has_tsc = (d >> 4) & 1;
    // AVX usable: CPU has it (ECX[28]) and the OS saves ymm state (OSXSAVE + XCR0).
    bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (osxsave && avx) {
      uint32_t xcr0_lo, xcr0_hi;
      asm volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
      h.has_avx = (xcr0_lo & 6) == 6;
      // AVX-512 usable: the OS also saves opmask and zmm state (XCR0 bits 5-7).
      if (h.has_avx && (xcr0_lo & 0xE0) == 0xE0 && max_leaf >= 7) {
        unsigned a7, b7, c7, d7;
        __cpuid_count(7, 0, a7, b7, c7, d7);
        h.has_avx512 = ((b7 >> 16) & 1) && ((b7 >> 31) & 1);  // AVX512F and AVX512VL
      }
    }
    if (max_leaf >= 7) {
      unsigned a7, b7, c7, d7;
      __cpuid_count(7, 0, a7, b7, c7, d7);
      h.has_amx = (d7 >> 24) & 1;
    }
    h.hypervisor = (c >> 31) & 1;
  }
  unsigned max_ext = __get_cpuid_max(0x80000000, nullptr);
  if (max_ext >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      __cpuid(0x80000002 + i, a, b, c, d);
      std::memcpy(brand + 16 * i + 0, &a, 4);
      std::memcpy(brand + 16 * i + 4, &b, 4);
      std::memcpy(brand + 16 * i + 8, &c, 4);
      std::memcpy(brand + 16 * i + 12, &d, 4);
    }
    std::string s = brand;
    size_t first = s.find_first_not_of(' ');
    size_t last = s.find_last_not_of(" \0");
    h.brand = first == std::string::npos ? "" : s.substr(first, last - first + 1);
  }
  if (max_ext >= 0x80000007) {
    __cpuid(0x80000007, a, b, c, d);
    h.invariant_tsc = (d >> 8) & 1;
  }
#endif
  return h;
}

std::optional<std::string> unsupported_host_reason() {
#if !defined(__x86_64__)
  return std::string("surrogate measure runs only on x86-64 hosts (this build is for another architecture)");
#else
  HostInfo h = host_info();
  if (h.machine != "x86_64") return "surrogate measure runs only on x86-64 hosts (uname reports " + h.machine + ")";
  if (!h.has_tsc) return std::string("surrogate measure needs rdtsc, which this CPU lacks");
  return std::nullopt;
#endif
}

}  // namespace surrogate::measure
