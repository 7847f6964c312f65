#include "cli/params_command.h"

#include <memory>

#include "mca/cpu_params_json.h"
#include "util/atomic_file.h"

namespace surrogate::cli {

Command add_params_command(CLI::App& app) {
  struct Options {
    std::string cpu, output = "-";
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("params", "CPU parameter tables (JSON) for simulate --params");
  sub->require_subcommand(1);
  CLI::App* dump =
      sub->add_subcommand("dump",
                          "Write LLVM's parameters for a CPU as JSON: global parameters, resources, register files, "
                          "one row per opcode and per scheduling class");
  dump->add_option("--mcpu", o->cpu, "LLVM x86 CPU name (see 'surrogate cpus')")->required();
  dump->add_option("-o,--output", o->output, "output file ('-' = standard output)");
  return {sub, [o] {
            std::string json = mca::params_to_json(mca::CpuParams::stock(o->cpu));
            util::write_file_atomically(o->output, json);
            return 0;
          }};
}

}  // namespace surrogate::cli
