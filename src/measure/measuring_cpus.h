// MeasuringCpus: which of the CPUs this process may run on get a worker
// by default (Harness, one worker thread each).
//
// One logical CPU per physical core: SMT siblings share the core's front end
// and ports, so two workers on one core measure each other (another
// tenant on a Zen 5 guest's SMT sibling wrote 84 of 10,001 blocks 10-60%
// slow before the stretch rule: recent_repetitions.h). And on a
// hybrid part only the cores of its most performant kind: Intel's P- and
// E-cores are two microarchitectures, whose blocks' figures must not mix
// in one file, and whose clock ratios lie over WorkerStarts' band apart.
// The topology is hwloc's (Debian libhwloc-dev): cores from sysfs, kinds
// from the kernel's hybrid PMUs or CPUID. The 2-vCPU guests this was
// built on show one CPU per core and one kind: all of them measure.
#pragma once

#include <string>
#include <vector>

struct hwloc_topology;

namespace surrogate::measure {

struct MeasuringCpus {
  std::vector<int> cpus;  // ascending Linux CPU numbers, a subset of the allowed ones
  std::string note;  // which allowed CPUs were left idle and why, or that the topology is unknown; empty when neither
};

// For this machine: `allowed` (Linux CPU numbers) as above. When the
// topology cannot be read, all of them, and note says so.
MeasuringCpus measuring_cpus(const std::vector<int>& allowed);
// The same over a loaded hwloc topology (tests: synthetic topologies).
MeasuringCpus measuring_cpus(hwloc_topology* topology, const std::vector<int>& allowed);

}  // namespace surrogate::measure
