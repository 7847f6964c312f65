#include "cli/predict_command.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "block/block_reader.h"
#include "util/input_error.h"
#include "runtime/instruction_table.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/atomic_file.h"
#include "util/hex.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string model;
  unsigned jobs = default_jobs();
  std::string output = "-";
  bool stats = false;
  std::string kernels = "auto";
  std::vector<std::string> inputs;
};

// format_throughput (cli/command.h) without the allocations: to_chars with
// a precision is printf's %.*f (the buffer holds any double in fixed notation).
void append_throughput(std::string& out, double value) {
  char buf[400];
  char* end;
  if (std::nearbyint(value) == value && std::fabs(value) < 1e15) {
    end = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 0).ptr;
  } else {
    end = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 4).ptr;
    while (end > buf && end[-1] == '0') --end;
    if (end > buf && end[-1] == '.') --end;
  }
  out.append(buf, end);
}

int run(const Options& o) {
  refuse_output_over_input(o.output, o.inputs);
  const auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  // The model first: a bad model file fails before any decoding.
  runtime::Isa isa = runtime::best_isa();
  for (runtime::Isa i : {runtime::Isa::kScalar, runtime::Isa::kAvx2, runtime::Isa::kAvx512})
    if (o.kernels == runtime::isa_name(i)) isa = i;
  runtime::Predictor predictor(runtime::read_model_file(o.model), isa);
  const double model_ms = ms_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  // Every input block becomes table ids (ids[starts[b], starts[b + 1])) and
  // its machine code for the output (bytes[byte_starts[b], ...)). CSV rows
  // are visited without making blocks: the table splits a row's bytes into
  // the model's instructions (LLVM only for instruction bytes not seen
  // before); rows it gives up on, and other inputs (assembly, ELF), are
  // decoded as always and then looked up.
  auto table_owner = std::make_unique<runtime::InstructionTable>(predictor.network().vocabulary());
  runtime::InstructionTable& table = *table_owner;
  std::vector<std::uint32_t> ids;
  std::vector<std::size_t> starts{0};
  std::vector<std::uint8_t> bytes;
  std::vector<std::size_t> byte_starts{0};
  std::vector<std::string> notes;
  auto add_block = [&](const BasicBlock& block) {
    table.encode(block, &ids);
    starts.push_back(ids.size());
    bytes.insert(bytes.end(), block.bytes.begin(), block.bytes.end());
    byte_starts.push_back(bytes.size());
  };
  for (const std::string& path : o.inputs) {
    const std::string name = input_name(path);
    std::string text = read_input(path);
    if (detect_format(text) != InputFormat::kCsv) {
      BlockFile file = read_block_text(std::move(text), path);
      notes.insert(notes.end(), file.notes.begin(), file.notes.end());
      for (const BasicBlock& block : file.blocks) add_block(block);
      continue;
    }
    const std::size_t first = starts.size();
    std::istringstream in(std::move(text));
    visit_bhive_csv(in, name, [&](BhiveRow& row) {
      if (table.split(row.bytes.data(), row.bytes.size(), &ids, nullptr)) {
        starts.push_back(ids.size());
        bytes.insert(bytes.end(), row.bytes.begin(), row.bytes.end());
        byte_starts.push_back(bytes.size());
      } else {
        add_block(table.decoder().decode_block(row.bytes, name + ":" + std::to_string(row.line), row.where, &notes));
      }
    });
    if (starts.size() == first) throw InputError({name}, "no blocks found");
  }
  report_notes(notes);
  const std::size_t blocks = starts.size() - 1;
  const double read_ms = ms_since(t1);
  auto start = std::chrono::steady_clock::now();
  std::vector<double> throughputs = predictor.predict(table, ids, starts, o.jobs);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Rows into one buffer, written at once.
  std::string text = "hex,throughput\n";
  text.reserve(blocks * 64);
  for (std::size_t i = 0; i < blocks; ++i) {
    append_hex(text, bytes.data() + byte_starts[i], byte_starts[i + 1] - byte_starts[i]);
    text += ',';
    append_throughput(text, throughputs[i]);
    text += '\n';
  }
  AtomicFile out(o.output);
  out.stream().write(text.data(), static_cast<std::streamsize>(text.size()));
  out.commit();
  const double write_ms = ms_since(start) - 1e3 * seconds;
  if (o.stats) {
    // The inference alone (reading and decoding the inputs not included).
    char rate[96];
    std::snprintf(rate, sizeof rate, "predicted in %.1f ms (%.0f blocks/s)", 1e3 * seconds,
                  seconds > 0 ? static_cast<double>(blocks) / seconds : 0.0);
    const runtime::Network& net = predictor.network();
    runtime::CacheStats stats = predictor.stats();  // misses: embeddings computed
    stats.byte_hits = table.byte_hits();
    stats.token_hits = table.token_hits();
    std::cerr << "surrogate predict: " << stats.summary() << "; " << rate << "; "
              << runtime::isa_name(net.isa()) << " kernels, width " << net.width() << ", depth " << net.depth()
              << '\n';
    char phases[160];
    std::snprintf(phases, sizeof phases,
                  "surrogate predict: model load %.1f ms, reading and splitting blocks %.1f ms, inference %.1f ms, "
                  "writing %.1f ms\n",
                  model_ms, read_ms, 1e3 * seconds, write_ms);
    std::cerr << phases;
  }
  // The process ends after this command: the table (~50k small
  // allocations) is left to it, not freed one by one.
  (void)table_owner.release();
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "predict",
      "Predict blocks' throughput with a surrogate model (.srg file), without LibTorch; writes CSV "
      "'hex,throughput' (cycles per 100 iterations), one row per input block in input order.");
  sub->add_option("--model", o->model, "surrogate model file (.srg)")->required();
  sub->add_option("-j,--jobs", o->jobs, "threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  sub->add_flag("--stats", o->stats, "print instruction-cache hit rates to stderr");
  sub->add_option("--kernels", o->kernels, "matrix kernels: auto (the widest this CPU runs), scalar, avx2, avx512")
      ->check(CLI::IsMember({"auto", "scalar", "avx2", "avx512"}));
  sub->add_option("inputs", o->inputs, "blocks: BHive CSV / hex lines, AT&T or Intel assembly, x86-64 ELF")
      ->required();
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
