#include "semantics/equivalence.h"

#include <cctype>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "semantics/emulator.h"

namespace surrogate::semantics {
namespace {

std::uint64_t splitmix(std::uint64_t& s) { return mix64(s += 0x9E3779B97F4A7C15ull); }

// Register values a block may use as a number or as an address: half of
// them pointers into the test region (blocks mostly address memory through
// registers), the rest small numbers, edge values, anything.
std::uint64_t random_value(std::uint64_t& s) {
  static const std::uint64_t kEdges[] = {
      0, 1, 2, 0xFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ~std::uint64_t{0}};
  switch (splitmix(s) % 6) {
    case 0:
      return splitmix(s) % 256;
    case 1:
      return kEdges[splitmix(s) % (sizeof kEdges / sizeof kEdges[0])];
    case 2:
      return splitmix(s);
    default:
      return kPointerBase + (splitmix(s) % (1 << 20)) * 8;  // a pointer: nearby pages
  }
}

}  // namespace

LiveOut LiveOut::parse(const std::string& spec) {
  if (spec.empty() || spec == "all") return LiveOut{};
  LiveOut live{0, false, 0, false};
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    std::string item = spec.substr(start, comma - start);
    for (char& c : item) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    start = comma + 1;
    if (item.empty()) throw std::invalid_argument("live-out: empty item in '" + spec + "'");
    if (item == "flags") {
      live.flags = true;
      continue;
    }
    if (item == "memory") {
      live.memory = true;
      continue;
    }
    if (item.rfind("xmm", 0) == 0 && item.size() > 3) {
      int n = -1;
      try {
        n = std::stoi(item.substr(3));
      } catch (const std::exception&) {
      }
      if (n < 0 || n > 15 || item != "xmm" + std::to_string(n))
        throw std::invalid_argument("live-out: unknown register '" + item + "'");
      live.xmms |= static_cast<std::uint16_t>(1u << n);
      continue;
    }
    static const char* const k32[16] = {"eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
                                        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
    int found = -1;
    for (int r = 0; r < 16; ++r)
      if (item == gpr_name(r) || item == k32[r]) found = r;
    if (found < 0) throw std::invalid_argument("live-out: unknown register '" + item + "'");
    live.gprs |= static_cast<std::uint16_t>(1u << found);
  }
  return live;
}

std::string LiveOut::describe() const {
  if (gprs == 0xFFFF && xmms == 0xFFFF && flags && memory) return "all";
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ",") + s; };
  for (int r = 0; r < 16; ++r)
    if (gprs >> r & 1) add(gpr_name(r));
  for (int x = 0; x < 16; ++x)
    if (xmms >> x & 1) add("xmm" + std::to_string(x));
  if (flags) add("flags");
  if (memory) add("memory");
  return out.empty() ? "none" : out;
}

std::vector<MachineState> test_states(std::size_t count, std::uint64_t seed) {
  std::vector<MachineState> states;
  const std::uint64_t kFills[] = {0, 1, ~std::uint64_t{0}, 0x8000000000000000, kPointerBase};
  for (std::uint64_t fill : kFills) {
    if (states.size() >= count) break;
    MachineState s;
    s.gpr.fill(fill);
    s.flags = fill & kStatusFlags;
    for (auto& x : s.xmm) x = {fill, fill};
    s.memory_seed = fill;
    s.pointer_memory = fill == kPointerBase;
    states.push_back(s);
  }
  std::uint64_t rng = seed;
  while (states.size() < count) {
    MachineState s;
    for (auto& g : s.gpr) g = random_value(rng);
    s.flags = splitmix(rng) & kStatusFlags;
    for (auto& x : s.xmm) x = {random_value(rng), random_value(rng)};
    s.memory_seed = splitmix(rng);
    s.pointer_memory = splitmix(rng) % 4 != 0;  // 3 in 4: memory of pointers
    states.push_back(s);
  }
  return states;
}

namespace {

// Tests `b` against the outcomes of `a`, state by state: outcome_a(i) is a's
// outcome on states[i] (computed when asked, or remembered).
template <typename OutcomeOfA>
EquivalenceResult check(OutcomeOfA&& outcome_a, std::span<const std::uint8_t> b, const LiveOut& live,
                        const std::vector<MachineState>& states, std::size_t enough) {
  thread_local Emulator emulator;
  EquivalenceResult r;
  std::string last_fault;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const MachineState& start = states[i];
    const Outcome& oa = outcome_a(i);
    const Outcome ob = emulator.run(b, start);
    auto differ = [&](const std::string& what) {
      r.difference = what;
      r.counterexample = start;
      return r;
    };
    if (!oa.ok || !ob.ok) {
      if (!oa.ok && !ob.ok) {  // both fault on this state: no verdict from it
        last_fault = oa.fault;
        continue;
      }
      return differ(!oa.ok ? "the first block faults (" + oa.fault + "), the second does not"
                           : "the second block faults (" + ob.fault + "), the first does not");
    }
    for (int g = 0; g < 16; ++g)
      if ((live.gprs >> g & 1) && oa.state.gpr[g] != ob.state.gpr[g])
        return differ(std::string(gpr_name(g)) + ": " + hex_value(oa.state.gpr[g]) + " vs " +
                      hex_value(ob.state.gpr[g]));
    if (live.flags && oa.state.flags != ob.state.flags)
      return differ("flags: " + hex_value(oa.state.flags) + " vs " + hex_value(ob.state.flags));
    for (int x = 0; x < 16; ++x)
      if ((live.xmms >> x & 1) && oa.state.xmm[x] != ob.state.xmm[x])
        return differ("xmm" + std::to_string(x) + " differs");
    if (live.memory) {
      std::set<std::uint64_t> addresses;
      for (const auto& [address, byte] : oa.written) addresses.insert(address);
      for (const auto& [address, byte] : ob.written) addresses.insert(address);
      for (std::uint64_t address : addresses) {
        auto final_byte = [&](const Outcome& o) {
          auto it = o.written.find(address);
          return it != o.written.end() ? it->second : initial_memory_byte(start, address);
        };
        if (final_byte(oa) != final_byte(ob)) return differ("memory at " + hex_value(address));
      }
    }
    if (++r.tested >= enough) break;
  }
  if (r.tested == 0 && !states.empty()) {
    r.difference = "no state on which both blocks run to the end (" + last_fault + ")";
    return r;
  }
  r.equivalent = true;
  return r;
}

}  // namespace

EquivalenceResult check_equivalence(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                                    const LiveOut& live, const std::vector<MachineState>& states, std::size_t enough) {
  thread_local Emulator emulator;
  Outcome oa;
  return check([&](std::size_t i) -> const Outcome& { return oa = emulator.run(a, states[i]); }, b, live, states,
               enough);
}

ReferenceOutcomes::ReferenceOutcomes(std::span<const std::uint8_t> a, const std::vector<MachineState>& states)
    : states_(states) {
  thread_local Emulator emulator;
  outcomes_.reserve(states.size());
  for (const MachineState& start : states) outcomes_.push_back(emulator.run(a, start));
}

EquivalenceResult ReferenceOutcomes::check(std::span<const std::uint8_t> b, const LiveOut& live) const {
  return semantics::check([&](std::size_t i) -> const Outcome& { return outcomes_[i]; }, b, live, states_, SIZE_MAX);
}

}  // namespace surrogate::semantics
