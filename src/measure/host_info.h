// HostInfo: identity of the CPU that measurements come from (cpuid).
#pragma once

#include <optional>
#include <string>

namespace surrogate::measure {

struct HostInfo {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  int family = 0;      // display family (base + extended)
  int model = 0;       // display model (base + extended << 4 where applicable)
  int stepping = 0;
  std::string brand;  // brand string, trimmed
  bool has_avx = false;
  bool has_avx512 = false;     // AVX512F and AVX512VL, and the OS saves zmm/opmask state
  bool has_amx = false;        // AMX-TILE (CPUID 7.0 EDX[24]); a process still needs the kernel's permission to use it
  bool has_tsc = false;        // rdtsc (CPUID 1 EDX[4]); rdtscp is not needed
  bool invariant_tsc = false;  // CPUID 0x80000007 EDX[8]
  bool hypervisor = false;     // running under a hypervisor (CPUID 1 ECX[31])
  std::string machine;         // uname -m

  // File-name-safe identity, e.g. "authenticamd-f25-m17-s1-amd-epyc".
  std::string identity() const;
};

HostInfo host_info();

// Why this host cannot run the harness, or nothing when it can (x86-64 with
// rdtsc). Compiled on other architectures it always says why not.
std::optional<std::string> unsupported_host_reason();

}  // namespace surrogate::measure
