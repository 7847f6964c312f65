#include "mca/cpu_params.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "block/x86_target.h"
#include "mca/cpu_catalog.h"
#include "llvm/MC/MCSchedule.h"

namespace surrogate::mca {

namespace {

// Does an explicit use of `x` also count on `r` in LLVM's tables? TableGen's
// SubtargetEmitter::ExpandProcResources adds a unit's cycles to its Super
// chain, and any resource's cycles to every other group listing all of its
// units (a unit counts as the list of itself).
bool contributes(const std::vector<Resource>& res, unsigned x, unsigned r) {
  if (x == r) return false;
  if (!res[x].is_group())
    for (unsigned s = res[x].super_idx; s; s = res[s].super_idx)
      if (s == r) return true;
  if (!res[r].is_group()) return false;
  const std::vector<unsigned>& in = res[r].members;
  if (!res[x].is_group()) return std::find(in.begin(), in.end(), x) != in.end();
  for (unsigned m : res[x].members)
    if (std::find(in.begin(), in.end(), m) == in.end()) return false;
  return true;
}

// Resources in an order where every contributor comes before what it
// contributes to: units deepest in a Super chain first, then groups by size.
std::vector<unsigned> expansion_order(const std::vector<Resource>& res) {
  auto chain = [&](unsigned i) {
    unsigned n = 0;
    for (unsigned s = res[i].super_idx; s && n < res.size(); s = res[s].super_idx) ++n;
    return n;
  };
  std::vector<unsigned> order;
  for (unsigned i = 1; i < res.size(); ++i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
    bool ga = res[a].is_group(), gb = res[b].is_group();
    if (ga != gb) return !ga;
    if (!ga) return chain(a) > chain(b);
    return res[a].members.size() < res[b].members.size();
  });
  return order;
}

}  // namespace

std::map<unsigned, PortCycles> explicit_port_cycles(const std::vector<Resource>& resources,
                                                    const std::vector<std::pair<unsigned, PortCycles>>& expanded) {
  std::map<unsigned, PortCycles> given;
  for (auto& [index, pc] : expanded) {
    PortCycles& g = given[index];
    g.cycles += pc.cycles;
    g.acquire_at = pc.acquire_at;
  }
  std::map<unsigned, PortCycles> out;
  for (unsigned r : expansion_order(resources)) {
    auto it = given.find(r);
    if (it == given.end()) continue;
    long cycles = it->second.cycles;
    for (auto& [x, pc] : out)
      if (contributes(resources, x, r)) cycles -= pc.cycles;
    // Negative: LLVM's table is not an expansion of explicit cycles; the
    // caller detects that by re-expanding.
    if (cycles > 0) out[r] = {static_cast<std::uint16_t>(cycles), it->second.acquire_at};
  }
  return out;
}

std::vector<std::pair<unsigned, PortCycles>> expanded_port_cycles(const std::vector<Resource>& resources,
                                                                  const std::map<unsigned, PortCycles>& explicit_) {
  std::vector<std::pair<unsigned, PortCycles>> out;
  for (unsigned r = 1; r < resources.size(); ++r) {
    bool present = false;
    unsigned cycles = 0;
    std::uint16_t acquire_at = 0;
    if (auto it = explicit_.find(r); it != explicit_.end()) {
      present = true;
      cycles = it->second.cycles;
      acquire_at = it->second.acquire_at;
    }
    for (auto& [x, pc] : explicit_) {
      if (!contributes(resources, x, r)) continue;
      if (!present) acquire_at = pc.acquire_at;
      present = true;
      cycles += pc.cycles;
    }
    if (present && cycles) out.push_back({r, {static_cast<std::uint16_t>(cycles), acquire_at}});
  }
  return out;
}

int CpuParams::find_resource(const std::string& name) const {
  for (std::size_t i = 1; i < resources.size(); ++i)
    if (resources[i].name == name) return static_cast<int>(i);
  return -1;
}

// LLVM's own values for `cpu`, read from its tables.
static CpuParams read_stock(const std::string& cpu) {
  const block::X86Target& x86 = block::X86Target::get();
  auto sti = x86.make_subtarget(cpu);
  if (!sti) throw std::runtime_error("unknown CPU '" + cpu + "' (see 'surrogate cpus')");
  const llvm::MCSchedModel& sm = sti->getSchedModel();
  if (!sm.hasInstrSchedModel())
    throw std::runtime_error("CPU '" + cpu + "' has no instruction scheduling model in LLVM 19");

  CpuParams p;
  p.cpu = cpu;
  p.sched_model = sched_model_id(sm);
  GlobalParams& g = p.global;
  g.dispatch_width = g.issue_width = sm.IssueWidth;
  g.micro_op_buffer_size = sm.MicroOpBufferSize;
  g.loop_micro_op_buffer_size = sm.LoopMicroOpBufferSize;
  g.load_latency = sm.LoadLatency;
  g.high_latency = sm.HighLatency;
  g.mispredict_penalty = sm.MispredictPenalty;

  p.resources.resize(sm.getNumProcResourceKinds());
  for (unsigned i = 0; i < sm.getNumProcResourceKinds(); ++i) {
    const llvm::MCProcResourceDesc& d = *sm.getProcResource(i);
    Resource& r = p.resources[i];
    r.name = d.Name ? d.Name : "";
    r.units = d.NumUnits;
    r.buffer_size = d.BufferSize;
    r.super_idx = d.SuperIdx;
    if (d.SubUnitsIdxBegin) r.members.assign(d.SubUnitsIdxBegin, d.SubUnitsIdxBegin + d.NumUnits);
  }
  if (sm.hasExtraProcessorInfo()) {
    const llvm::MCExtraProcessorInfo& epi = sm.getExtraProcessorInfo();
    g.reorder_buffer_size = epi.ReorderBufferSize;
    g.max_retire_per_cycle = epi.MaxRetirePerCycle;
    p.load_queue_resource = epi.LoadQueueID;
    p.store_queue_resource = epi.StoreQueueID;
    if (epi.LoadQueueID) g.load_queue_size = std::max(0, sm.getProcResource(epi.LoadQueueID)->BufferSize);
    if (epi.StoreQueueID) g.store_queue_size = std::max(0, sm.getProcResource(epi.StoreQueueID)->BufferSize);
    for (unsigned i = 0; i < epi.NumRegisterFiles; ++i) {
      const llvm::MCRegisterFileDesc& f = epi.RegisterFiles[i];
      p.register_files.push_back(
          {f.Name ? f.Name : "", f.NumPhysRegs, f.MaxMovesEliminatedPerCycle, f.AllowZeroMoveEliminationOnly});
    }
  }

  auto row_of = [&](const llvm::MCSchedClassDesc& sc) {
    SchedRow row;
    row.sched_class = sc.Name ? sc.Name : "";
    row.micro_ops = sc.NumMicroOps;
    row.begin_group = sc.BeginGroup;
    row.end_group = sc.EndGroup;
    row.retire_ooo = sc.RetireOOO;
    std::vector<std::pair<unsigned, PortCycles>> expanded;
    for (auto* e = sti->getWriteProcResBegin(&sc); e != sti->getWriteProcResEnd(&sc); ++e)
      expanded.push_back({e->ProcResourceIdx, {e->ReleaseAtCycle, e->AcquireAtCycle}});
    row.ports = explicit_port_cycles(p.resources, expanded);
    std::vector<std::pair<unsigned, PortCycles>> nonzero;
    for (auto& e : expanded)
      if (e.second.cycles) nonzero.push_back(e);
    std::sort(nonzero.begin(), nonzero.end(), [](auto& a, auto& b) { return a.first < b.first; });
    if (expanded_port_cycles(p.resources, row.ports) != nonzero) {
      row.ports_expanded = true;
      row.ports.clear();
      for (auto& [index, pc] : expanded) row.ports[index] = pc;
    }
    for (unsigned i = 0; i < sc.NumWriteLatencyEntries; ++i) {
      const llvm::MCWriteLatencyEntry* w = sti->getWriteLatencyEntry(&sc, i);
      row.latencies.push_back({w->Cycles, w->WriteResourceID});
    }
    for (const llvm::MCReadAdvanceEntry& ra : sti->getReadAdvanceEntries(sc))
      row.read_advances.push_back({ra.UseIdx, ra.WriteResourceID, ra.Cycles});
    return row;
  };

  p.classes.resize(sm.NumSchedClasses);
  p.class_is_variant.resize(sm.NumSchedClasses);
  p.class_is_valid.resize(sm.NumSchedClasses);
  for (unsigned c = 0; c < sm.NumSchedClasses; ++c) {
    const llvm::MCSchedClassDesc& sc = *sm.getSchedClassDesc(c);
    p.class_is_valid[c] = sc.isValid();
    p.class_is_variant[c] = sc.isVariant();
    if (sc.isValid() && !sc.isVariant()) {
      p.classes[c] = row_of(sc);
    } else {
      p.classes[c].sched_class = sc.Name ? sc.Name : "";
    }
  }
  const llvm::MCInstrInfo& mcii = x86.instr_info();
  for (unsigned op = 0; op < mcii.getNumOpcodes(); ++op) {
    unsigned c = mcii.get(op).getSchedClass();
    if (c < sm.NumSchedClasses && p.class_is_valid[c] && !p.class_is_variant[c]) p.opcodes[op] = p.classes[c];
  }
  return p;
}

CpuParams CpuParams::stock(const std::string& cpu) {
  // LLVM's tables never change in a process: each CPU's parameters are read
  // once (a params file, the tuner and the simulator each ask for them).
  static std::mutex mutex;
  static std::map<std::string, CpuParams> read;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = read.find(cpu);
  if (it == read.end()) it = read.emplace(cpu, read_stock(cpu)).first;
  return it->second;
}

CpuParams CpuParams::only_opcodes(const std::set<unsigned>& wanted) const {
  CpuParams p;
  p.cpu = cpu;
  p.sched_model = sched_model;
  p.global = global;
  p.resources = resources;
  p.load_queue_resource = load_queue_resource;
  p.store_queue_resource = store_queue_resource;
  p.register_files = register_files;
  p.classes = classes;
  p.class_is_variant = class_is_variant;
  p.class_is_valid = class_is_valid;
  for (unsigned op : wanted) {
    auto it = opcodes.find(op);
    if (it != opcodes.end()) p.opcodes.emplace_hint(p.opcodes.end(), *it);
  }
  return p;
}

std::vector<std::string> class_keys(const CpuParams& p) {
  std::map<std::string, int> count;
  for (const SchedRow& c : p.classes) ++count[c.sched_class];
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < p.classes.size(); ++i) {
    const std::string& n = p.classes[i].sched_class;
    keys.push_back(count[n] > 1 || n.empty() ? n + "#" + std::to_string(i) : n);
  }
  return keys;
}

}  // namespace surrogate::mca
