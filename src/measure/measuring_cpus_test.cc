#include "measure/measuring_cpus.h"

#include <gtest/gtest.h>
#include <hwloc.h>

#include <functional>
#include <string>
#include <vector>

namespace surrogate::measure {
namespace {

// Runs `check` over hwloc's synthetic topology `description` (PUs numbered
// 0, 1, ... core by core), after `prepare` (e.g. registering CPU kinds).
void with_topology(const char* description, const std::function<void(hwloc_topology_t)>& prepare,
                   const std::function<void(hwloc_topology_t)>& check) {
  hwloc_topology_t t;
  ASSERT_EQ(hwloc_topology_init(&t), 0);
  ASSERT_EQ(hwloc_topology_set_synthetic(t, description), 0) << description;
  ASSERT_EQ(hwloc_topology_load(t), 0);
  prepare(t);
  check(t);
  hwloc_topology_destroy(t);
}

void none(hwloc_topology_t) {}

// Registers PUs [first, last] as one kind of core.
void register_kind(hwloc_topology_t t, unsigned first, unsigned last, int efficiency, const char* core_type) {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_set_range(set, first, static_cast<int>(last));
  hwloc_info_s info{const_cast<char*>("CoreType"), const_cast<char*>(core_type)};
  ASSERT_EQ(hwloc_cpukinds_register(t, set, efficiency, 1, &info, 0), 0);
  hwloc_bitmap_free(set);
}

TEST(MeasuringCpus, OneLogicalCpuPerCore) {
  with_topology("core:4 pu:2", none, [](hwloc_topology_t t) {
    MeasuringCpus m = measuring_cpus(t, {0, 1, 2, 3, 4, 5, 6, 7});
    EXPECT_EQ(m.cpus, (std::vector<int>{0, 2, 4, 6}));
    EXPECT_EQ(m.note, "4 of 8 allowed CPUs left idle: 4 SMT siblings of a measuring CPU");
    // Whatever the user allowed (taskset): the lowest of each core's.
    EXPECT_EQ(measuring_cpus(t, {1, 3, 4, 5}).cpus, (std::vector<int>{1, 3, 4}));
  });
}

// The 2-vCPU guests this was built on: every allowed CPU measures.
TEST(MeasuringCpus, ACpuPerCoreKeepsThemAll) {
  with_topology("core:2 pu:1", none, [](hwloc_topology_t t) {
    MeasuringCpus m = measuring_cpus(t, {0, 1});
    EXPECT_EQ(m.cpus, (std::vector<int>{0, 1}));
    EXPECT_EQ(m.note, "");
  });
}

// A hybrid part: two P-cores (PUs 0-3) and two E-cores (4-7), all with SMT
// (hwloc synthetic topologies are symmetric).
TEST(MeasuringCpus, OnAHybridPartOnlyTheMostPerformantKind) {
  const auto hybrid = [](int p_efficiency, int e_efficiency) {
    return [=](hwloc_topology_t t) {
      register_kind(t, 0, 3, p_efficiency, "IntelCore");
      register_kind(t, 4, 7, e_efficiency, "IntelAtom");
    };
  };
  with_topology("core:4 pu:2", hybrid(1, 0), [](hwloc_topology_t t) {
    MeasuringCpus m = measuring_cpus(t, {0, 1, 2, 3, 4, 5, 6, 7});
    EXPECT_EQ(m.cpus, (std::vector<int>{0, 2}));
    EXPECT_EQ(m.note,
              "6 of 8 allowed CPUs left idle: 2 SMT siblings of a measuring CPU, 4 of a less performant kind of core");
    // Only E-cores allowed: the user chose them.
    EXPECT_EQ(measuring_cpus(t, {5, 6}).cpus, (std::vector<int>{5, 6}));
  });
  // Efficiencies unknown: told apart by the kind's name.
  with_topology("core:4 pu:2", hybrid(-1, -1), [](hwloc_topology_t t) {
    EXPECT_EQ(measuring_cpus(t, {0, 1, 2, 3, 4, 5, 6, 7}).cpus, (std::vector<int>{0, 2}));
  });
}

// This machine: a subset of what it allows, at least one CPU.
TEST(MeasuringCpus, ThisMachine) {
  MeasuringCpus m = measuring_cpus({0});
  EXPECT_EQ(m.cpus, (std::vector<int>{0}));
}

}  // namespace
}  // namespace surrogate::measure
