#include "mca/machine_model.h"

#include <map>
#include <stdexcept>

#include "block/x86_target.h"

namespace surrogate::mca {

namespace {

// An MCSubtargetInfo over our tables. Variant classes are resolved by LLVM's
// generated x86 code (it inspects the instruction only), forwarded to a stock
// subtarget of the same CPU; our class indices below the stock count are
// LLVM's own.
class ParametricSubtarget final : public llvm::MCSubtargetInfo {
 public:
  ParametricSubtarget(const llvm::MCSubtargetInfo& stock, llvm::ArrayRef<llvm::SubtargetSubTypeKV> processors,
                      const llvm::MCWriteProcResEntry* wpr, const llvm::MCWriteLatencyEntry* wl,
                      const llvm::MCReadAdvanceEntry* ra)
      : MCSubtargetInfo(stock.getTargetTriple(), stock.getCPU(), stock.getTuneCPU(), stock.getFeatureString(),
                        stock.getAllProcessorFeatures(), processors, wpr, wl, ra, nullptr, nullptr, nullptr),
        stock_(stock) {
    setFeatureBits(stock.getFeatureBits());
  }
  unsigned resolveVariantSchedClass(unsigned sched_class, const llvm::MCInst* inst, const llvm::MCInstrInfo* info,
                                    unsigned cpu_id) const override {
    return stock_.resolveVariantSchedClass(sched_class, inst, info, cpu_id);
  }

 private:
  const llvm::MCSubtargetInfo& stock_;
};

struct EntryLess {
  bool operator()(const llvm::MCWriteProcResEntry& a, const llvm::MCWriteProcResEntry& b) const {
    return std::tie(a.ProcResourceIdx, a.ReleaseAtCycle, a.AcquireAtCycle) <
           std::tie(b.ProcResourceIdx, b.ReleaseAtCycle, b.AcquireAtCycle);
  }
  bool operator()(const llvm::MCWriteLatencyEntry& a, const llvm::MCWriteLatencyEntry& b) const {
    return std::tie(a.Cycles, a.WriteResourceID) < std::tie(b.Cycles, b.WriteResourceID);
  }
  bool operator()(const llvm::MCReadAdvanceEntry& a, const llvm::MCReadAdvanceEntry& b) const {
    return std::tie(a.UseIdx, a.WriteResourceID, a.Cycles) < std::tie(b.UseIdx, b.WriteResourceID, b.Cycles);
  }
};

struct SliceLess {
  template <typename Entry>
  bool operator()(const std::vector<Entry>& a, const std::vector<Entry>& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), EntryLess());
  }
};

// Appends `entries` to `table` unless an equal slice is already there;
// returns the slice's first index. LLVM's index fields are 16-bit.
template <typename Entry>
std::uint16_t intern(std::vector<Entry>& table, std::map<std::vector<Entry>, std::uint16_t, SliceLess>& seen,
                     const std::vector<Entry>& entries, const char* what) {
  if (entries.empty()) return 0;
  auto it = seen.find(entries);
  if (it != seen.end()) return it->second;
  if (table.size() + entries.size() > 0xffff)
    throw std::runtime_error(std::string("too many distinct ") + what + " entries for LLVM's 16-bit tables");
  auto index = static_cast<std::uint16_t>(table.size());
  table.insert(table.end(), entries.begin(), entries.end());
  seen.emplace(entries, index);
  return index;
}

}  // namespace

MachineModel::~MachineModel() = default;

MachineModel::MachineModel(const CpuParams& params) : params_(params) {
  stock_ = block::X86Target::get().make_subtarget(params_.cpu);
  if (!stock_) throw std::runtime_error("unknown CPU '" + params_.cpu + "' (see 'surrogate cpus')");
  const llvm::MCSchedModel& stock_model = stock_->getSchedModel();
  if (!stock_model.hasInstrSchedModel())
    throw std::runtime_error("CPU '" + params_.cpu + "' has no instruction scheduling model in LLVM 19");
  if (params_.resources.size() != stock_model.getNumProcResourceKinds() ||
      params_.classes.size() != stock_model.NumSchedClasses)
    throw std::runtime_error("parameters do not match the LLVM model of '" + params_.cpu + "'");
  add_resources(stock_model);
  add_classes(stock_model);
  add_processor_info(stock_model);
  make_subtarget(stock_model);
}

void MachineModel::add_resources(const llvm::MCSchedModel& stock_model) {
  members_.resize(params_.resources.size());
  for (std::size_t i = 0; i < params_.resources.size(); ++i) {
    const Resource& r = params_.resources[i];
    const llvm::MCProcResourceDesc& s = *stock_model.getProcResource(i);
    members_[i] = r.members;
    int buffer = r.buffer_size;
    if (i == params_.load_queue_resource && i) buffer = static_cast<int>(params_.global.load_queue_size);
    if (i == params_.store_queue_resource && i) buffer = static_cast<int>(params_.global.store_queue_size);
    resources_.push_back({s.Name, r.units, r.super_idx, buffer, members_[i].empty() ? nullptr : members_[i].data()});
  }
}

// One scheduling class from a row of parameters, its entries interned in the
// model's three entry tables.
class MachineModel::ClassMaker {
 public:
  explicit ClassMaker(MachineModel& model) : model_(model) {
    model_.write_proc_res_.push_back({0, 0, 0});  // index 0: empty, as in LLVM's tables
    model_.write_latency_.push_back({0, 0});
    model_.read_advance_.push_back({0, 0, 0});
  }

  llvm::MCSchedClassDesc make(const SchedRow& row, const char* name) {
    if (row.micro_ops >= llvm::MCSchedClassDesc::VariantNumMicroOps)
      throw std::runtime_error(std::string(name) + ": micro_ops " + std::to_string(row.micro_ops) + " is too large");
    std::vector<llvm::MCWriteProcResEntry> wpr;
    auto ports = row.ports_expanded ? std::vector<std::pair<unsigned, PortCycles>>(row.ports.begin(), row.ports.end())
                                    : expanded_port_cycles(model_.params_.resources, row.ports);
    for (auto& [index, pc] : ports) wpr.push_back({static_cast<std::uint16_t>(index), pc.cycles, pc.acquire_at});
    std::vector<llvm::MCWriteLatencyEntry> wl;
    for (const WriteLatency& w : row.latencies) wl.push_back({w.cycles, w.write_id});
    std::vector<llvm::MCReadAdvanceEntry> ra;
    for (const ReadAdvance& r : row.read_advances) ra.push_back({r.operand, r.write_id, r.cycles});
    llvm::MCSchedClassDesc d{};
    d.Name = name;
    d.NumMicroOps = row.micro_ops;
    d.BeginGroup = row.begin_group;
    d.EndGroup = row.end_group;
    d.RetireOOO = row.retire_ooo;
    d.WriteProcResIdx = intern(model_.write_proc_res_, seen_wpr_, wpr, "port");
    d.NumWriteProcResEntries = static_cast<std::uint16_t>(wpr.size());
    d.WriteLatencyIdx = intern(model_.write_latency_, seen_wl_, wl, "latency");
    d.NumWriteLatencyEntries = static_cast<std::uint16_t>(wl.size());
    d.ReadAdvanceIdx = intern(model_.read_advance_, seen_ra_, ra, "read-advance");
    d.NumReadAdvanceEntries = static_cast<std::uint16_t>(ra.size());
    return d;
  }

 private:
  MachineModel& model_;
  std::map<std::vector<llvm::MCWriteProcResEntry>, std::uint16_t, SliceLess> seen_wpr_;
  std::map<std::vector<llvm::MCWriteLatencyEntry>, std::uint16_t, SliceLess> seen_wl_;
  std::map<std::vector<llvm::MCReadAdvanceEntry>, std::uint16_t, SliceLess> seen_ra_;
};

void MachineModel::add_classes(const llvm::MCSchedModel& stock_model) {
  ClassMaker maker(*this);
  for (unsigned c = 0; c < stock_model.NumSchedClasses; ++c) {
    const llvm::MCSchedClassDesc& s = *stock_model.getSchedClassDesc(c);
    if (!s.isValid() || s.isVariant()) {
      classes_.push_back(s);  // no entries of its own; LLVM resolves or rejects it
      continue;
    }
    classes_.push_back(maker.make(params_.classes[c], s.Name));
  }
  const llvm::MCInstrInfo& mcii = block::X86Target::get().instr_info();
  opcode_class_.resize(mcii.getNumOpcodes());
  for (unsigned op = 0; op < mcii.getNumOpcodes(); ++op) opcode_class_[op] = mcii.get(op).getSchedClass();
  for (auto& [op, row] : params_.opcodes) {
    names_.push_back(mcii.getName(op).str());
    opcode_class_[op] = static_cast<unsigned>(classes_.size());
    classes_.push_back(maker.make(row, names_.back().c_str()));
  }
}

void MachineModel::add_processor_info(const llvm::MCSchedModel& stock_model) {
  if (stock_model.hasExtraProcessorInfo()) extra_ = stock_model.getExtraProcessorInfo();
  for (std::size_t i = 0; i < params_.register_files.size(); ++i) {
    const RegisterFile& f = params_.register_files[i];
    llvm::MCRegisterFileDesc d = extra_.RegisterFiles[i];
    if (f.physical_registers > 0xffff || f.max_moves_eliminated_per_cycle > 0xffff)
      throw std::runtime_error("register file " + f.name + ": value too large");
    d.NumPhysRegs = static_cast<std::uint16_t>(f.physical_registers);
    d.MaxMovesEliminatedPerCycle = static_cast<std::uint16_t>(f.max_moves_eliminated_per_cycle);
    d.AllowZeroMoveEliminationOnly = f.zero_move_elimination_only;
    register_files_.push_back(d);
  }
  extra_.RegisterFiles = register_files_.empty() ? nullptr : register_files_.data();
  extra_.NumRegisterFiles = static_cast<unsigned>(register_files_.size());
  extra_.ReorderBufferSize = params_.global.reorder_buffer_size;
  extra_.MaxRetirePerCycle = params_.global.max_retire_per_cycle;
  extra_.LoadQueueID = params_.load_queue_resource;
  extra_.StoreQueueID = params_.store_queue_resource;
}

void MachineModel::make_subtarget(const llvm::MCSchedModel& stock_model) {
  model_ = stock_model;
  const GlobalParams& g = params_.global;
  model_.IssueWidth = g.issue_width;
  model_.MicroOpBufferSize = g.micro_op_buffer_size;
  model_.LoopMicroOpBufferSize = g.loop_micro_op_buffer_size;
  model_.LoadLatency = g.load_latency;
  model_.HighLatency = g.high_latency;
  model_.MispredictPenalty = g.mispredict_penalty;
  model_.ProcResourceTable = resources_.data();
  model_.NumProcResourceKinds = static_cast<unsigned>(resources_.size());
  model_.SchedClassTable = classes_.data();
  model_.NumSchedClasses = static_cast<unsigned>(classes_.size());
  model_.ExtraProcessorInfo = &extra_;

  processors_.assign(stock_->getAllProcessorDescriptions().begin(), stock_->getAllProcessorDescriptions().end());
  for (auto& p : processors_)
    if (p.Key == stock_->getCPU() || p.Key == stock_->getTuneCPU()) p.SchedModel = &model_;
  subtarget_ = std::make_unique<ParametricSubtarget>(*stock_, processors_, write_proc_res_.data(),
                                                     write_latency_.data(), read_advance_.data());
  if (&subtarget_->getSchedModel() != &model_)
    throw std::runtime_error("internal: parametric subtarget does not use the parametric model");
}

}  // namespace surrogate::mca
