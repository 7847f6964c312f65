// The x86 CPUs LLVM 19 knows and their scheduling models.
//
// LLVM does not name scheduling models at run time; we name each by the common
// prefix of its resource names ("HW" for Haswell's HWPort0, HWDivider, ...),
// which is how LLVM's X86Sched*.td files name them, made unique if needed.
#pragma once

#include <string>
#include <vector>

namespace llvm {
struct MCSchedModel;
}

namespace surrogate::mca {

struct CpuInfo {
  std::string name;         // LLVM CPU name, e.g. "haswell"
  std::string sched_model;  // e.g. "HW"; empty when the CPU has no instruction scheduling model
  unsigned resources = 0;   // resource kinds in the model
  unsigned sched_classes = 0;
  unsigned dispatch_width = 0;
  unsigned micro_op_buffer_size = 0;
};

// Every x86 CPU name LLVM accepts for -mcpu, sorted by name.
const std::vector<CpuInfo>& x86_cpus();

// The identifier of a scheduling model (as in CpuInfo::sched_model).
std::string sched_model_id(const llvm::MCSchedModel& model);

}  // namespace surrogate::mca
