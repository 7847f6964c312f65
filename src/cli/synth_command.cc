#include "cli/synth_command.h"

#include <memory>

#include "dataset/block_synthesis.h"
#include "util/atomic_file.h"
#include "util/hex.h"

namespace surrogate::cli {

Command add_synth_command(CLI::App& app) {
  struct Options {
    std::string cpu, output = "-";
    std::size_t count = 1000;
    std::uint64_t seed = 1;
    bool list_opcodes = false, census = false, fork_join = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "synth",
      "Write random x86-64 blocks (BHive CSV: hex,sources) drawn from the opcodes LLVM's model of the CPU "
      "schedules, shaped as loop-carried chains, independent instructions, pointer chasing or a mix; every block "
      "decodes and simulates. Training data for what compilers seldom emit; label it with 'surrogate label'");
  sub->add_option("--mcpu", o->cpu, "LLVM x86 CPU name (see 'surrogate cpus')")->required();
  sub->add_option("-n,--count", o->count, "blocks to write")->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  sub->add_option("--seed", o->seed, "random seed: the same seed and CPU give the same bytes");
  sub->add_flag("--list-opcodes", o->list_opcodes, "write the opcodes blocks are drawn from (LLVM names), not blocks");
  sub->add_flag("--census", o->census,
                "write, for every opcode, a chain of one instance, a chain of two and four independent instances "
                "(source synth-census-SHAPE-OPCODE; -n is ignored)")
      ->excludes("--list-opcodes");
  sub->add_flag("--fork-join", o->fork_join,
                "write -n blocks whose loop-carried chain runs through register copies: the chain register "
                "copied to a temporary, the temporary changed, joined back (xorshift's shape; source "
                "synth-fork-join)")
      ->excludes("--list-opcodes")
      ->excludes("--census");
  sub->add_option("-o,--output", o->output, "output file ('-' = standard output)");
  return {sub, [o] {
            const std::optional<std::string> cpu = resolve_mcpu(o->cpu, "synth");
            if (!cpu) return 0;
            dataset::BlockSynthesizer synthesizer(*cpu, o->seed);
            util::AtomicFile out(o->output);
            if (o->list_opcodes) {
              for (const std::string& name : synthesizer.opcodes()) out.stream() << name << "\n";
            } else if (o->census) {
              out.stream() << "hex,sources\n";
              for (const dataset::SynthesizedBlock& b : synthesizer.census())
                out.stream() << util::to_hex(b.bytes) << ",synth-census-" << dataset::name_of(b.shape) << "-"
                             << b.opcode << "\n";
            } else {
              out.stream() << "hex,sources\n";
              for (std::size_t i = 0; i < o->count; ++i) {
                const dataset::SynthesizedBlock b = o->fork_join ? synthesizer.fork_join() : synthesizer.next();
                out.stream() << util::to_hex(b.bytes) << ",synth-" << dataset::name_of(b.shape) << "\n";
              }
            }
            out.commit();
            return 0;
          }};
}

}  // namespace surrogate::cli
