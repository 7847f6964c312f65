#include "cli/disasm_command.h"

#include <memory>

#include "block/block_reader.h"
#include "util/atomic_file.h"

namespace surrogate::cli {

Command add_disasm_command(CLI::App& app) {
  struct Options {
    std::string syntax = "att", output = "-";
    bool mca_regions = false;
    std::vector<std::string> inputs;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "disasm", "Print blocks as assembly, separated by blank lines (readable back by every command)");
  sub->add_option("--syntax", o->syntax, "att or intel")->check(CLI::IsMember({"att", "intel"}));
  sub->add_flag("--mca-regions", o->mca_regions,
                "wrap each block in '# LLVM-MCA-BEGIN n' / '# LLVM-MCA-END' markers, n = its 0-based index");
  sub->add_option("-o,--output", o->output, "output file ('-' = standard output)");
  sub->add_option("inputs", o->inputs, "blocks: BHive CSV / hex lines, AT&T or Intel assembly, x86-64 ELF")->required();
  return {sub, [o] {
            std::vector<block::BasicBlock> blocks = block::read_blocks(o->inputs);
            block::AsmSyntax syntax = o->syntax == "intel" ? block::AsmSyntax::kIntel : block::AsmSyntax::kAtt;
            util::AtomicFile out(o->output);
            if (syntax == block::AsmSyntax::kIntel) out.stream() << ".intel_syntax noprefix\n";
            for (std::size_t i = 0; i < blocks.size(); ++i) {
              out.stream() << "# " << blocks[i].name << "\n";
              if (o->mca_regions) out.stream() << "# LLVM-MCA-BEGIN " << i << "\n";
              out.stream() << block::format_block(blocks[i], syntax);
              if (o->mca_regions) out.stream() << "# LLVM-MCA-END\n";
              out.stream() << "\n";
            }
            out.commit();
            return 0;
          }};
}

}  // namespace surrogate::cli
