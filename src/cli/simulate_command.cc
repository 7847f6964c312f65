#include "cli/simulate_command.h"

#include <iostream>
#include <memory>
#include <sstream>

#include <algorithm>
#include <cmath>

#include "block/block_reader.h"
#include "dataset/label_store.h"
#include "mca/cpu_params_json.h"
#include "dataset/labelling_job.h"
#include "mca/simulator_labeller.h"
#include "util/atomic_file.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string cpu;
  std::string params_file;
  unsigned iterations = mca::Simulator::kDefaultIterations;
  unsigned jobs = util::default_jobs();
  std::string output = "-";
  InputOptions input;
  unsigned dispatch = 0;  // -dispatch: dispatch width override (0: the CPU's)
  bool json = false;      // --json (llvm-mca: -json): the rows as JSON
  bool report = false;    // --report (llvm-mca: -resource-pressure, -timeline, -bottleneck-analysis): views, not CSV
  bool label = false;     // `surrogate label`: write a label set (dataset/label_store.h)
};

int run(Options o) {
  util::refuse_output_over_input(o.output, o.input.inputs);
  if (o.cpu.empty() && o.params_file.empty()) throw std::runtime_error("simulate: give -mcpu=CPU or --params=FILE");
  if (!o.cpu.empty()) {
    std::optional<std::string> cpu = resolve_mcpu(o.cpu, o.label ? "label" : "simulate");
    if (!cpu) return 0;
    o.cpu = *cpu;
  }
  // The params file is read once: its bytes name the parameters in the journal.
  const std::string params_text = o.params_file.empty() ? "" : util::read_file(o.params_file);
  mca::CpuParams params =
      o.params_file.empty() ? mca::CpuParams::stock(o.cpu) : mca::params_from_json(params_text, o.params_file);
  if (o.dispatch) params.global.dispatch_width = o.dispatch;
  if (!o.cpu.empty() && o.cpu != params.cpu)
    throw std::runtime_error(o.params_file + ": its cpu is '" + params.cpu + "' but -mcpu=" + o.cpu);
  const std::string origin = (o.params_file.empty() ? "-mcpu=" + params.cpu : "--params=" + o.params_file) +
                             (o.dispatch ? " -dispatch=" + std::to_string(o.dispatch) : "");
  const mca::SimulatorLabeller labeller(params, o.iterations, origin, params_text);
  block::BlockInputs inputs = block::read_block_inputs(o.input.inputs, o.input.read_options());
  const std::vector<block::BasicBlock>& blocks = inputs.blocks;
  const std::string command = o.label ? "label" : "simulate";

  if (o.report) {  // views of each block, as text, instead of the CSV
    util::AtomicFile out(o.output);
    for (const block::BasicBlock& b : blocks) {
      out.stream() << "[" << b.name << "] " << b.hex_column() << "\n";
      if (b.error) {
        out.stream() << "  (not simulated: " << b.error->message << ")\n\n";
        continue;
      }
      try {
        out.stream() << mca::format_report(labeller.simulator().report(b, o.iterations)) << "\n";
      } catch (const mca::SimulationError& e) {
        out.stream() << "  (cannot simulate: " << e.what() << ")\n\n";
      }
    }
    out.commit();
    return block::report_bad_rows(blocks, command, std::cerr) ? 1 : 0;
  }
  install_interrupt_handler();
  dataset::LabellingOptions job{o.jobs, o.output, (o.label ? "label " : "simulate ") + params.cpu, &interrupted};
  dataset::LabellingResult result =
      dataset::label_blocks(labeller, blocks, job, [&](const dataset::LabellingResult& r) {
        for (std::size_t i = 0; i < blocks.size(); ++i)
          if (!r.labels[i].throughput && !blocks[i].error)
            std::cerr << blocks[i].name << ": cannot simulate: " << r.labels[i].error << '\n';
        if (o.label) {
          dataset::LabelSet labels;
          labels.description =
              "surrogate simulate " + origin + " -iterations=" + std::to_string(o.iterations) + " (llvm-mca 19)";
          for (std::size_t i = 0; i < blocks.size(); ++i)
            if (!blocks[i].error)  // a label set holds blocks only
              labels.blocks.push_back(
                  {blocks[i].bytes,
                   r.labels[i].throughput ? std::stof(util::format_throughput(*r.labels[i].throughput)) : std::nanf(""),
                   inputs.sources[i]});
          dataset::write_labels(o.output, labels);
        } else {
          std::ostringstream csv;
          csv << "hex,throughput" << inputs.identity.header() << "\n";
          for (std::size_t i = 0; i < blocks.size(); ++i) {
            csv << blocks[i].hex_column() << ',';
            if (r.labels[i].throughput) csv << util::format_throughput(*r.labels[i].throughput);
            csv << inputs.identity.cells(blocks[i]) << '\n';
          }
          util::AtomicFile out(o.output);
          out.stream() << (o.json ? rows_as_json(csv.str()) : csv.str());
          out.commit();
        }
      });
  if (result.interrupted) {
    std::cerr << "surrogate " << command << ": interrupted; finished blocks are kept in " << o.output
              << ".partial: run the same command again to resume\n";
    return 130;
  }
  if (result.resumed)
    std::cerr << "surrogate " << command << ": " << result.resumed << " of " << blocks.size()
              << " rows were taken from " << o.output << ".partial (an earlier run)\n";
  return block::report_bad_rows(blocks, command, std::cerr) ? 1 : 0;
}

// Options shared by simulate and label.
void add_simulation_options(CLI::App* sub, const std::shared_ptr<Options>& o) {
  sub->add_option("--mcpu", o->cpu, "LLVM x86 CPU name (see 'surrogate cpus')");
  sub->add_option("--params", o->params_file, "CPU parameter file (JSON from 'surrogate params dump')");
  sub->add_option("--iterations", o->iterations, "iterations to simulate")
      ->default_val(mca::Simulator::kDefaultIterations)
      ->check(CLI::Range(1u, 1000000u));
  sub->add_option("--dispatch", o->dispatch,
                  "dispatch width, micro-ops per cycle (llvm-mca -dispatch; default: the CPU's)")
      ->check(CLI::Range(1u, 4096u));
  sub->add_option("-j,--jobs", o->jobs, "threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1u, 1024u));
  add_input_options(sub, o->input);
}

}  // namespace

Command add_simulate_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub =
      app.add_subcommand("simulate",
                         "Simulate blocks with LLVM 19's llvm-mca pipeline, in process; writes CSV 'hex,throughput' "
                         "(cycles per 100 iterations), one row per input block in input order.");
  add_simulation_options(sub, o);
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  sub->add_flag("--json", o->json,
                "the rows as JSON instead of CSV: {\"rows\": [{\"hex\": ..., \"throughput\": ...}]}");
  sub->add_flag("--report,--resource-pressure,--timeline,--bottleneck-analysis", o->report,
                "instead of the CSV, each block's views as text: resource pressure, per-instruction waiting and "
                "execution times, dispatch stalls, bottleneck (llvm-mca's view flags are accepted)");
  return {sub, [o] { return run(*o); }};
}

Command add_label_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  o->label = true;
  CLI::App* sub = app.add_subcommand(
      "label",
      "Label blocks with the simulator for training: like 'simulate', but keeps each block's BHive 'sources' "
      "column and writes the compact binary label store (or CSV hex,throughput,sources when OUT ends in .csv).");
  add_simulation_options(sub, o);
  sub->add_option("-o,--output", o->output, "output label set")->required();
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
