// MachineModel: a CpuParams materialised into LLVM's scheduling tables, with
// an MCSubtargetInfo that reads them, ready for llvm::mca's InstrBuilder.
//
// Layout of the scheduling-class table: indices [0, stock) are LLVM's own
// classes (private copies, edited from CpuParams::classes; variant classes
// stay variant and are resolved by LLVM's stock code, which inspects the
// instruction, not the tables); one more class per opcode row follows. Entry
// slices are shared between classes with equal entries (LLVM's index fields
// are 16-bit). Immutable after construction: safe to share between threads.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "llvm/MC/MCSchedule.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "mca/cpu_params.h"

namespace surrogate::mca {

class MachineModel {
 public:
  // Throws std::runtime_error when the params do not fit LLVM's tables.
  explicit MachineModel(const CpuParams& params);
  ~MachineModel();
  MachineModel(const MachineModel&) = delete;
  MachineModel& operator=(const MachineModel&) = delete;

  const CpuParams& params() const { return params_; }
  const llvm::MCSubtargetInfo& subtarget() const { return *subtarget_; }
  // Scheduling class the InstrBuilder should use for an opcode.
  unsigned opcode_class(unsigned opcode) const { return opcode_class_[opcode]; }

 private:
  // The construction's steps, in order (each reads what the one before built).
  class ClassMaker;
  void add_resources(const llvm::MCSchedModel& stock_model);
  void add_classes(const llvm::MCSchedModel& stock_model);         // LLVM's classes, then one per opcode row
  void add_processor_info(const llvm::MCSchedModel& stock_model);  // register files, queues, reorder buffer
  void make_subtarget(const llvm::MCSchedModel& stock_model);

  CpuParams params_;
  std::unique_ptr<llvm::MCSubtargetInfo> stock_;
  std::vector<llvm::MCProcResourceDesc> resources_;
  std::vector<std::vector<unsigned>> members_;
  std::vector<llvm::MCSchedClassDesc> classes_;
  std::deque<std::string> names_;  // stable storage for class and file names
  std::vector<llvm::MCWriteProcResEntry> write_proc_res_;
  std::vector<llvm::MCWriteLatencyEntry> write_latency_;
  std::vector<llvm::MCReadAdvanceEntry> read_advance_;
  std::vector<llvm::MCRegisterFileDesc> register_files_;
  llvm::MCExtraProcessorInfo extra_{};
  llvm::MCSchedModel model_{};
  std::vector<llvm::SubtargetSubTypeKV> processors_;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget_;
  std::vector<unsigned> opcode_class_;
};

}  // namespace surrogate::mca
