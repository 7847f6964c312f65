#include "cli/predict_command.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "block/block_reader.h"
#include "runtime/instruction_table.h"
#include "runtime/model_file.h"
#include "runtime/predictor.h"
#include "util/atomic_file.h"
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
  const auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  // The model first: a bad model file fails before any decoding.
  runtime::Isa isa = runtime::best_isa();
  for (runtime::Isa i : {runtime::Isa::kScalar, runtime::Isa::kAvx2, runtime::Isa::kAvx512})
    if (o.kernels == runtime::isa_name(i)) isa = i;
  runtime::Predictor predictor(runtime::read_model_file(o.model), isa);
  // CSV rows are split into the model's instructions by the table (LLVM only
  // for instruction bytes not seen before); other inputs, and rows the table
  // gives up on, are decoded as always and then looked up. Either way a
  // block's instructions become table ids; a CSV row's block keeps only its
  // name and bytes (instructions[] empty).
  const double model_ms = ms_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  auto table_owner = std::make_unique<runtime::InstructionTable>(predictor.network().vocabulary());
  runtime::InstructionTable& table = *table_owner;
  std::vector<std::uint32_t> row_ids;  // ids of the CSV rows' instructions, in order
  std::vector<std::size_t> row_ends;   // where each row's ids end
  ReadOptions options;
  options.decode = [&](std::vector<std::uint8_t> bytes, std::string name, const BytePosition& where,
                       std::vector<std::string>* notes) {
    BasicBlock block;
    if (table.split(bytes.data(), bytes.size(), &row_ids, nullptr)) {
      block.name = std::move(name);
      block.bytes = std::move(bytes);
    } else {
      block = table.decoder().decode_block(std::move(bytes), name, where, notes);
      table.encode(block, &row_ids);
      block.instructions.clear();
      block.offsets.clear();
    }
    row_ends.push_back(row_ids.size());
    return block;
  };
  auto blocks_owner = std::make_unique<std::vector<BasicBlock>>(read_blocks(o.inputs, options));
  const std::vector<BasicBlock>& blocks = *blocks_owner;
  std::vector<std::uint32_t> ids;
  std::vector<std::size_t> starts{0};
  starts.reserve(blocks.size() + 1);
  if (row_ends.size() == blocks.size()) {  // CSV rows only
    ids = std::move(row_ids);
    starts.insert(starts.end(), row_ends.begin(), row_ends.end());
  } else {
    std::size_t row = 0;
    for (const BasicBlock& block : blocks) {
      if (block.instructions.empty() && row < row_ends.size()) {  // a CSV row (decoded blocks are never empty)
        ids.insert(ids.end(), row_ids.begin() + (row ? row_ends[row - 1] : 0), row_ids.begin() + row_ends[row]);
        ++row;
      } else {
        table.encode(block, &ids);
      }
      starts.push_back(ids.size());
    }
  }
  const double read_ms = ms_since(t1);
  auto start = std::chrono::steady_clock::now();
  std::vector<double> throughputs = predictor.predict(table, ids, starts, o.jobs);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Rows into one buffer, written at once.
  std::string text = "hex,throughput\n";
  text.reserve(blocks.size() * 64);
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::vector<std::uint8_t>& bytes = blocks[i].bytes;
    std::size_t at = text.size();
    text.resize(at + 2 * bytes.size() + 1);
    for (std::uint8_t b : bytes) {
      text[at++] = kDigits[b >> 4];
      text[at++] = kDigits[b & 15];
    }
    text[at] = ',';
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
                  seconds > 0 ? static_cast<double>(blocks.size()) / seconds : 0.0);
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
  // The process ends after this command: the blocks and the table (~100k
  // small allocations) are left to it, not freed one by one (~4 ms).
  (void)blocks_owner.release();
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
