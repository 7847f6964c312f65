#include "cli/optimize_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <random>
#include <memory>
#include <sstream>

#include "block/block_reader.h"
#include "block/decoder.h"
#include "cli/measure_command.h"
#include "measure/estimate.h"
#include "measure/host_info.h"
#include "mca/cpu_params.h"
#include "mca/simulator.h"
#include "optimize/optimizer.h"
#include "runtime/surrogate_runtime.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/parallel.h"
#include "util/result_journal.h"
#include "util/progress.h"
#include "util/throughput_text.h"

namespace surrogate::cli {
namespace {

OperandGuideMaker& gradient_guide_maker() {
  static OperandGuideMaker maker;
  return maker;
}

struct Options {
  std::string cpu, model, live_out, output = "-";  // live_out empty: from the input, else all
  std::string guide = "none";                      // none | gradient (operand_guide.h)
  std::size_t budget = 2000;
  std::size_t sample = 0;  // 0: every block
  bool asm_listing = false;
  bool measure = false;  // both versions of every rewrite measured on this host
  std::uint64_t seed = 1;
  unsigned jobs = util::default_jobs();
  InputOptions input;
};

// A row's cells after `hex,` for a block that has no answer.
std::string empty_cells(const std::string& live) { return ",,,," + live + ",,"; }

// A live-out spec as a CSV cell: quoted when the list has commas.
std::string live_cell(const semantics::LiveOut& live) {
  const std::string text = live.describe();
  return text.find(',') == std::string::npos ? text : "\"" + text + "\"";
}

// What must agree after block b: the user's --live-out, else what the input
// says (ELF: the control flow's liveness; memory always), else everything.
semantics::LiveOut live_out_of(const block::BasicBlock& b, const std::optional<semantics::LiveOut>& given) {
  if (given) return *given;
  semantics::LiveOut live;
  if (b.live_out) {
    live.gprs = b.live_out->gprs;
    live.xmms = b.live_out->xmms;
    live.flags = b.live_out->flags;
  }
  return live;
}

// A row's optimized_hex (the first of its cells) as bytes; false when empty.
bool optimized_bytes(const std::string& cells, std::vector<std::uint8_t>* bytes) {
  std::size_t at = 0;
  std::string why;
  const std::string hex = cells.substr(0, cells.find(','));
  return !hex.empty() && util::parse_hex(hex, bytes, &at, &why);
}

// `original` and its rewrite side by side, one instruction per line, under a
// line naming the block and its simulated cycles.
void print_side_by_side(const block::BasicBlock& original, const std::string& cells, std::ostream& os) {
  std::vector<std::string> fields;
  for (std::size_t at = 0; fields.size() < 3;) {
    const std::size_t comma = cells.find(',', at);
    fields.push_back(cells.substr(at, comma - at));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  std::vector<std::uint8_t> bytes;
  if (fields.size() < 3 || !optimized_bytes(cells, &bytes) || bytes == original.bytes) return;
  const block::BasicBlock rewrite = block::Decoder().decode_block(bytes, original.name, {}, nullptr);
  const std::string moves = cells.substr(cells.rfind(',') + 1);
  os << original.name << ": " << fields[1] << " -> " << fields[2] << " cycles/100 iterations (" << moves << ")\n";
  std::vector<std::string> left, right;
  for (const llvm::MCInst& inst : original.instructions) left.push_back(block::format_instruction(inst));
  for (const llvm::MCInst& inst : rewrite.instructions) right.push_back(block::format_instruction(inst));
  std::size_t width = 0;
  for (const std::string& l : left) width = std::max(width, l.size());
  for (std::size_t k = 0; k < std::max(left.size(), right.size()); ++k) {
    const std::string l = k < left.size() ? left[k] : "";
    os << "    " << l << std::string(width - l.size() + 4, ' ') << "|" << (k < right.size() ? " " + right[k] : "")
       << "\n";
  }
}

// Every rewritten block measured on this host beside its original, the two
// adjacent in one worker's input so each pair shares its conditions (passes
// 3, as tools/measure_rewrites.py), into `path` (a `surrogate measure` output
// with its metadata and journal). Returns each row's cells
// ",measured_cycles,measured_optimized_cycles" (cycles per 100 iterations;
// empty for an unchanged row or an unmeasurable block), or nothing when
// interrupted (the journal is kept).
std::optional<std::vector<std::string>> measure_rewrites(const std::vector<block::BasicBlock>& blocks,
                                                         const std::vector<std::string>& cells,
                                                         const std::vector<char>& improved, const std::string& path) {
  std::vector<std::string> measured(blocks.size(), ",,");
  std::vector<std::size_t> rows;  // the optimize row of each pair
  std::vector<measure::JobBlock> pairs;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    std::vector<std::uint8_t> bytes;
    if (!improved[i] || !optimized_bytes(cells[i], &bytes)) continue;
    pairs.push_back(job_block_of(blocks[i]));  // its bytes: without a dropped branch, as the rewrite
    pairs.push_back(job_block_of(block::Decoder().decode_block(bytes, blocks[i].name + " rewritten", {}, nullptr)));
    rows.push_back(i);
  }
  if (pairs.empty()) return measured;
  measure::Options harness;
  harness.jobs = 1;
  harness.passes = 3;
  measure::JobOptions job;
  job.output = path;
  job.tool_version = "surrogate 0.1.0";
  job.cancel = &interrupted;
  if (measure::run_measure_job(pairs, harness, job, std::cerr).interrupted) return std::nullopt;
  std::istringstream csv(util::read_file(path));
  std::string line;
  std::getline(csv, line);  // hex,throughput
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::string cycles[2];
    for (std::string& c : cycles)
      if (std::getline(csv, line)) c = line.substr(line.find(',') + 1);
    measured[rows[k]] = "," + cycles[0] + "," + cycles[1];
  }
  return measured;
}

// The summary of the measured speed-ups (original's cycles over the
// rewrite's), one line.
std::string measured_speedups(const std::vector<std::string>& measured, const std::vector<char>& improved,
                              const std::string& path) {
  std::vector<double> speedups;
  std::size_t rewrites = 0;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    if (!improved[i]) continue;
    ++rewrites;
    const std::string& m = measured[i];
    const std::size_t comma = m.find(',', 1);
    const std::string original = m.substr(1, comma - 1), rewrite = m.substr(comma + 1);
    if (!original.empty() && !rewrite.empty() && std::stod(rewrite) > 0)
      speedups.push_back(std::stod(original) / std::stod(rewrite));
  }
  std::ostringstream line;
  line << "surrogate optimize: " << speedups.size() << " of " << rewrites << " rewrites measured on this host";
  if (!speedups.empty()) {
    line << ", speed-up median " << std::fixed << std::setprecision(3) << measure::median(speedups) << "x, "
         << std::count_if(speedups.begin(), speedups.end(), [](double x) { return x < 0.97; }) << " below 0.97x";
  }
  line << " (" << path << ")\n";
  return line.str();
}

int run(Options o) {
  util::refuse_output_over_input(o.output, o.input.inputs);
  if (o.measure && o.output == "-")
    throw std::runtime_error("--measure needs -o FILE: the measurements go to FILE.measured.csv");
  if (o.measure)
    if (auto why = measure::unsupported_host_reason()) throw std::runtime_error("--measure: " + *why);
  if (o.guide != "none" && o.guide != "gradient")
    throw std::runtime_error("--guide: '" + o.guide + "' is neither 'none' nor 'gradient'");
  const std::optional<std::string> cpu = resolve_mcpu(o.cpu, "optimize");
  if (!cpu) return 0;
  optimize::OptimizeOptions options;
  std::optional<semantics::LiveOut> given;
  if (!o.live_out.empty()) given = semantics::LiveOut::parse(o.live_out);  // a bad spec fails before anything is read
  options.budget = o.budget;
  options.seed = o.seed;
  const mca::Simulator simulator(mca::CpuParams::stock(*cpu));
  if (o.model.empty()) {
    o.model = "models/" + *cpu + ".srg";
    if (access(o.model.c_str(), R_OK) != 0)
      throw std::runtime_error("no model for " + *cpu + " at " + o.model + ": give --model M.srg");
  }
  std::vector<std::unique_ptr<runtime::Surrogate>> surrogates(std::max(1u, o.jobs));  // one per thread
  surrogates[0] = std::make_unique<runtime::Surrogate>(o.model);  // a bad model fails before any block is read
  std::vector<std::unique_ptr<optimize::OperandGuide>> guides(std::max(1u, o.jobs));  // one per thread, or none
  const bool guided = o.guide == "gradient";
  if (guided) {
    if (!gradient_guide_maker())
      throw std::runtime_error("--guide gradient needs LibTorch: run it as 'surrogate optimize' (surrogate-nn)");
    guides[0] = gradient_guide_maker()(o.model);
  }
  block::ReadOptions read_options = o.input.read_options();
  read_options.liveness = !given;
  block::BlockInputs inputs = block::read_block_inputs(o.input.inputs, read_options);
  if (o.sample && o.sample < inputs.blocks.size()) {
    // Liveness came from the whole input; the sample keeps input order.
    std::vector<block::BasicBlock> chosen;
    std::mt19937_64 random(o.seed);
    std::sample(std::make_move_iterator(inputs.blocks.begin()), std::make_move_iterator(inputs.blocks.end()),
                std::back_inserter(chosen), o.sample, random);
    inputs.blocks = std::move(chosen);
  }
  const std::vector<block::BasicBlock>& blocks = inputs.blocks;
  const bool derived = !given && std::any_of(blocks.begin(), blocks.end(), [](const auto& b) { return b.live_out; });
  const std::string live_text = given     ? given->describe()
                                : derived ? "its row's live_out (ELF: from the control flow)"
                                          : semantics::LiveOut().describe();

  // Each block's cells after `hex,`, journaled so a killed run resumes: the
  // job is the inputs, CPU, model bytes and search options.
  // v5: a swap undone by the next move is not in `moves` (v4: every
  // accepted move); v4: stack moves fold an rsp adjustment where its flags
  // are dead (v3: at random; v2: no stack moves). Rows of another version
  // would differ.
  std::string job = "optimize v5 cpu=" + *cpu + " model=" + util::fingerprint_of(util::read_file(o.model)) +
                    " live=" + live_text + " sample=" + std::to_string(o.sample) +
                    " budget=" + std::to_string(o.budget) + " seed=" + std::to_string(o.seed) +
                    (guided ? " guide=gradient" : "");
  for (const block::BasicBlock& b : blocks) job += "\n" + b.hex_column() + " " + live_out_of(b, given).describe();
  util::ResultJournal journal(o.output, util::fingerprint_of(job), /*flush_every=*/1);
  std::vector<std::string> cells(blocks.size()), failures(blocks.size());  // failures: why a block has no answer
  std::vector<char> improved(blocks.size(), 0);
  std::size_t resumed = 0;
  for (const auto& [i, entry] : journal.finished())
    if (i < blocks.size()) {
      cells[i] = entry.value;
      if (!blocks[i].error) failures[i] = entry.note;
      improved[i] = entry.note.empty() && cells[i].rfind(blocks[i].hex() + ",", 0) != 0;
      ++resumed;
    }
  util::Progress progress("optimize", blocks.size(), resumed);
  std::atomic<std::size_t> refuted{0};  // this run's finalists that passed the tests and Z3 refuted
  util::parallel_for(blocks.size(), o.jobs, [&](std::size_t i, unsigned worker) {
    if (interrupted.load() || !cells[i].empty()) return;
    const block::BasicBlock& b = blocks[i];
    optimize::OptimizeOptions block_options = options;
    block_options.live = live_out_of(b, given);
    const std::string live = live_cell(block_options.live);
    std::string note;
    if (b.error) {
      cells[i] = empty_cells(live);
      note = "bad row";
    } else {
      if (!surrogates[worker]) surrogates[worker] = std::make_unique<runtime::Surrogate>(o.model);
      if (guided && !guides[worker]) guides[worker] = gradient_guide_maker()(o.model);
      block_options.guide = guides[worker].get();
      optimize::Optimizer optimizer(*surrogates[worker], simulator, block_options);
      try {
        const optimize::OptimizeResult r = optimizer.optimize(b);
        refuted += r.refuted;
        improved[i] = r.optimized != b.bytes;
        cells[i] = util::to_hex(r.optimized) + "," + util::format_throughput(r.cycles) + "," +
                   util::format_throughput(r.optimized_cycles) + "," + util::format_throughput(r.predicted_cycles) +
                   "," + live + "," + r.verified + "," + r.moves;
      } catch (const std::exception& e) {  // the original cannot be simulated
        note = failures[i] = e.what();
        cells[i] = empty_cells(live);
      }
    }
    journal.record(i, {cells[i], note});
    progress.advance(1);
  });
  progress.finish();
  if (interrupted.load()) {
    std::cerr << "surrogate optimize: interrupted; finished blocks are kept in " << o.output
              << ".partial: run the same command again to go on\n";
    return 130;
  }
  std::vector<std::string> measured(blocks.size());  // each row's measured cells, or ""
  const std::string measured_path = o.output + ".measured.csv";
  if (o.measure) {
    std::optional<std::vector<std::string>> m = measure_rewrites(blocks, cells, improved, measured_path);
    if (!m) {
      std::cerr << "surrogate optimize: interrupted while measuring; finished blocks are kept in " << o.output
                << ".partial and " << measured_path << ".partial: run the same command again to go on\n";
      return 130;
    }
    measured = std::move(*m);
  }
  util::AtomicFile out(o.output);
  out.stream() << optimize::kOutputHeader << (o.measure ? optimize::kMeasuredColumnsHeader : "")
               << inputs.identity.header() << "\n";
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    out.stream() << blocks[i].hex_column() << "," << cells[i] << measured[i] << inputs.identity.cells(blocks[i])
                 << "\n";
    if (!failures[i].empty()) std::cerr << blocks[i].name << ": " << failures[i] << "\n";
  }
  out.commit();
  journal.remove();
  if (o.asm_listing) {
    std::ostream& listing = o.output == "-" ? std::cerr : std::cout;  // never inside the CSV
    for (std::size_t i = 0; i < blocks.size(); ++i)
      if (!blocks[i].error && failures[i].empty()) print_side_by_side(blocks[i], cells[i], listing);
  }
  std::size_t n_improved = 0, n_failed = 0, n_proven = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    n_improved += improved[i], n_failed += !failures[i].empty();
    n_proven += improved[i] && cells[i].find(",z3,") != std::string::npos;
  }
  std::cerr << "surrogate optimize: " << n_improved << " of " << blocks.size()
            << " blocks rewritten faster (simulated), each tested equal on " << live_text << ", " << n_proven
            << " of them proven with Z3"
            << (refuted ? "; Z3 refuted " + std::to_string(refuted.load()) + " more that the tests had passed" : "")
            << (resumed ? "; " + std::to_string(resumed) + " taken from " + o.output + ".partial" : "") << "\n";
  if (o.measure) std::cerr << measured_speedups(measured, improved, measured_path);
  return block::report_bad_rows(blocks, "optimize", std::cerr) || n_failed ? 1 : 0;
}

}  // namespace

Command add_optimize_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "optimize",
      "Search for faster versions of basic blocks that compute the same live state: moves (delete, swap, "
      "register, catalogue of cheaper forms) scored by the surrogate, every rewrite tested equal on 1,000 states of "
      "the Unicorn emulator, proven equal with Z3 where both blocks are in its subset (integer, SSE moves, "
      "memory), and confirmed faster by llvm-mca. Writes CSV hex,optimized_hex,cycles,optimized_cycles,"
      "predicted_cycles,live_out,verified (z3 or tested:N),moves (cycles per 100 iterations)");
  sub->add_option("--mcpu", o->cpu, "LLVM x86 CPU name (see 'surrogate cpus')")->required();
  sub->add_option("--model", o->model,
                  "surrogate model that steers the search (default: models/CPU.srg, which imitates llvm-mca; a "
                  "model adapted to this host's measurements steers toward rewrites faster on this host)");
  sub->add_option("--live-out", o->live_out,
                  "what must agree after the block: 'all' (every GPR, flags, xmm0-15, memory) or a list, e.g. "
                  "rax,rbx,flags,memory. Default: for ELF input, the registers and flags live after each block "
                  "by its section's control flow (System V ABI at calls and returns; memory always live), "
                  "written in each row's live_out; for other input, all");
  sub->add_option("--guide", o->guide,
                  "how register-operand moves are drawn: 'none' (uniformly) or 'gradient' (by the surrogate's "
                  "gradient with respect to its inputs: first-order estimates of each register's effect on the "
                  "predicted cycles, the Project Silicon idea)");
  sub->add_option("--budget", o->budget, "surrogate evaluations per block")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  sub->add_flag("--asm", o->asm_listing,
                "also print each rewritten block beside its original (AT&T syntax; to standard output, or to "
                "standard error when the CSV goes there)");
  sub->add_flag("--measure", o->measure,
                "also measure every rewrite and its original on this host (surrogate measure, one worker, the two "
                "side by side): columns measured_cycles,measured_optimized_cycles, the measurements and their "
                "metadata in OUT.measured.csv; needs -o");
  sub->add_option("--sample", o->sample,
                  "optimize N blocks of the input drawn at random by --seed (in input order), e.g. of a large ELF");
  sub->add_option("--seed", o->seed, "random seed: the same seed gives the same rewrites (whatever --jobs)");
  sub->add_option("-j,--jobs", o->jobs, "threads, one block each (default: the CPUs this process may use)")
      ->check(CLI::Range(1u, 1024u));
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  add_input_options(sub, o->input);
  return {sub, [o] { return run(*o); }};
}

void set_gradient_guide_maker(OperandGuideMaker maker) { gradient_guide_maker() = std::move(maker); }

}  // namespace surrogate::cli
