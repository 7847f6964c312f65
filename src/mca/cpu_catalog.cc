#include "mca/cpu_catalog.h"

#include <map>
#include <mutex>

#include "block/x86_target.h"
#include "llvm/MC/MCSchedule.h"

namespace surrogate::mca {

namespace {

std::string resource_prefix(const llvm::MCSchedModel& m) {
  std::string prefix;
  bool first = true;
  for (unsigned i = 1; i < m.getNumProcResourceKinds(); ++i) {
    std::string name = m.getProcResource(i)->Name;
    if (first) {
      prefix = name;
      first = false;
      continue;
    }
    std::size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  // Trim a partial word: keep the prefix up to its last upper-case run ("SKLPort" -> "SKL").
  bool cut = false;
  while (prefix.size() > 2 && std::islower(static_cast<unsigned char>(prefix.back()))) {
    prefix.pop_back();
    cut = true;
  }
  if (cut && prefix.size() > 2) prefix.pop_back();  // the capital that began the cut word
  return prefix;
}

struct Catalog {
  std::vector<CpuInfo> cpus;
  std::map<const llvm::MCSchedModel*, std::string> ids;
};

const Catalog& catalog() {
  static const Catalog c = [] {
    Catalog c;
    const block::X86Target& x86 = block::X86Target::get();
    std::map<std::string, int> taken;
    for (const std::string& name : x86.cpu_names()) {
      auto sti = x86.make_subtarget(name);
      CpuInfo info;
      info.name = name;
      if (sti && sti->getSchedModel().hasInstrSchedModel()) {
        const llvm::MCSchedModel& m = sti->getSchedModel();
        // make_subtarget returns a fresh object but its model points into LLVM's static tables.
        auto it = c.ids.find(&m);
        if (it == c.ids.end()) {
          std::string id = resource_prefix(m);
          if (id.size() < 2) id = "model-" + name;
          if (int n = taken[id]++) id += "#" + std::to_string(n + 1);
          it = c.ids.emplace(&m, id).first;
        }
        info.sched_model = it->second;
        info.resources = m.getNumProcResourceKinds();
        info.sched_classes = m.NumSchedClasses;
        info.dispatch_width = m.IssueWidth;
        info.micro_op_buffer_size = m.MicroOpBufferSize;
      }
      c.cpus.push_back(info);
    }
    return c;
  }();
  return c;
}

}  // namespace

const std::vector<CpuInfo>& x86_cpus() { return catalog().cpus; }

std::string sched_model_id(const llvm::MCSchedModel& model) {
  const auto& ids = catalog().ids;
  auto it = ids.find(&model);
  return it == ids.end() ? "" : it->second;
}

}  // namespace surrogate::mca
