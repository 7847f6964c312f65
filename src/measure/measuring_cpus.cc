#include "measure/measuring_cpus.h"

#include <hwloc.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace surrogate::measure {
namespace {

// The PUs of the most performant kind of core, or null when there is one
// kind, none, or no telling them apart (the caller frees it).
hwloc_bitmap_t most_performant_kind(hwloc_topology_t topology) {
  const int kinds = hwloc_cpukinds_get_nr(topology, 0);
  if (kinds <= 1) return nullptr;
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  // Kinds come in increasing efficiency when every efficiency is known.
  int efficiency = -1;
  if (hwloc_cpukinds_get_info(topology, kinds - 1, set, &efficiency, nullptr, nullptr, 0) == 0 && efficiency >= 0)
    return set;
  // Else by name (Intel hybrid parts: "IntelCore" and "IntelAtom").
  for (int k = 0; k < kinds; ++k) {
    unsigned infos = 0;
    hwloc_info_s* info = nullptr;
    if (hwloc_cpukinds_get_info(topology, k, set, nullptr, &infos, &info, 0) != 0) continue;
    for (unsigned i = 0; i < infos; ++i)
      if (std::strcmp(info[i].name, "CoreType") == 0 && std::strcmp(info[i].value, "IntelCore") == 0) return set;
  }
  hwloc_bitmap_free(set);
  return nullptr;
}

}  // namespace

MeasuringCpus measuring_cpus(hwloc_topology* topology, const std::vector<int>& allowed) {
  std::set<int> candidates(allowed.begin(), allowed.end());
  size_t other_kind = 0, siblings = 0;
  if (hwloc_bitmap_t kind = most_performant_kind(topology)) {
    std::set<int> of_kind;
    for (int c : candidates)
      if (c >= 0 && hwloc_bitmap_isset(kind, static_cast<unsigned>(c))) of_kind.insert(c);
    hwloc_bitmap_free(kind);
    // Where none of the allowed CPUs is of that kind, the allowed ones are
    // what the user chose (taskset): keep them.
    if (!of_kind.empty()) {
      other_kind = candidates.size() - of_kind.size();
      candidates = std::move(of_kind);
    }
  }
  MeasuringCpus out;
  std::set<int> covered;  // candidates on a core already taken
  const int cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
  for (int i = 0; i < cores; ++i) {
    hwloc_obj_t core = hwloc_get_obj_by_type(topology, HWLOC_OBJ_CORE, static_cast<unsigned>(i));
    bool taken = false;
    for (int c : candidates) {
      if (c < 0 || !hwloc_bitmap_isset(core->cpuset, static_cast<unsigned>(c))) continue;
      covered.insert(c);
      if (taken) {
        ++siblings;
        continue;
      }
      out.cpus.push_back(c);
      taken = true;
    }
  }
  // CPUs hwloc puts on no core (none expected) keep their worker.
  for (int c : candidates)
    if (!covered.count(c)) out.cpus.push_back(c);
  std::sort(out.cpus.begin(), out.cpus.end());
  if (siblings > 0 || other_kind > 0) {
    out.note =
        std::to_string(siblings + other_kind) + " of " + std::to_string(allowed.size()) + " allowed CPUs left idle:";
    if (siblings > 0) out.note += " " + std::to_string(siblings) + " SMT siblings of a measuring CPU";
    if (siblings > 0 && other_kind > 0) out.note += ",";
    if (other_kind > 0) out.note += " " + std::to_string(other_kind) + " of a less performant kind of core";
  }
  return out;
}

MeasuringCpus measuring_cpus(const std::vector<int>& allowed) {
  MeasuringCpus out{allowed, "the CPU topology could not be read: every allowed CPU"};
  hwloc_topology_t topology;
  if (hwloc_topology_init(&topology) != 0) return out;
  if (hwloc_topology_load(topology) == 0) out = measuring_cpus(topology, allowed);
  hwloc_topology_destroy(topology);
  return out;
}

}  // namespace surrogate::measure
