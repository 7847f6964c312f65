#include "cli/cpus_command.h"

#include <cstdio>
#include <map>

#include "mca/cpu_catalog.h"

namespace surrogate::cli {

Command add_cpus_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("cpus", "List the x86 CPUs LLVM 19 knows, with their scheduling models");
  return {sub, [] {
            std::map<std::string, std::vector<std::string>> by_model;
            for (const mca::CpuInfo& c : mca::x86_cpus()) by_model[c.sched_model].push_back(c.name);
            std::printf("%-18s %-10s %8s %12s %10s %8s  %s\n", "cpu", "model", "dispatch", "uop-buffer", "resources",
                        "classes", "same model as");
            for (const mca::CpuInfo& c : mca::x86_cpus()) {
              if (c.sched_model.empty()) {
                std::printf("%-18s %-10s %8s %12s %10s %8s\n", c.name.c_str(), "(none)", "-", "-", "-", "-");
                continue;
              }
              std::string same;
              std::size_t shown = 0, others = by_model[c.sched_model].size() - 1;
              for (const std::string& n : by_model[c.sched_model])
                if (n != c.name && shown++ < 4) same += (same.empty() ? "" : " ") + n;
              if (others > 4) same += " (+" + std::to_string(others - 4) + ")";
              std::printf("%-18s %-10s %8u %12u %10u %8u  %s\n", c.name.c_str(), c.sched_model.c_str(),
                          c.dispatch_width, c.micro_op_buffer_size, c.resources, c.sched_classes, same.c_str());
            }
            return 0;
          }};
}

}  // namespace surrogate::cli
