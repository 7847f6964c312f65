#include "cli/predict_command.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "block/block_reader.h"
#include "runtime/surrogate_runtime.h"
#include "util/atomic_file.h"
#include "util/input_error.h"
#include "util/large_page_heap.h"
#include "util/hex.h"
#include "util/parallel.h"

namespace surrogate::cli {

namespace {

struct Options {
  std::string model;
  unsigned jobs = util::default_jobs();
  std::string output = "-";
  bool stats = false;
  std::string kernels = "auto";
  bool json = false;  // --json (llvm-mca: -json): the rows as JSON
  InputOptions input;
};

// format_throughput (util/throughput_text.h) without the allocations:
// to_chars with a precision is printf's %.*f (the buffer holds any double in
// fixed notation).
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

// Where an input row's machine code is, to name a decoding fault at its
// place (16 bytes a row: a 219k-row file keeps them all).
struct Row {
  std::uint32_t input = 0;           // index into the inputs
  std::uint32_t line = 0, byte = 0;  // of the machine-code field (line 0: a binary file)
  std::uint32_t scale = 2;           // input bytes per machine-code byte (hex: 2)
};

// A row without a prediction: why, and its hex column as written.
struct BadRow {
  util::RowError error;
  std::string hex_column;
};

// How output rows name their input rows (RowIdentity's rule): `cells[r]` is
// row r's extra CSV columns as output text (",a,b"), or its name for
// assembly and ELF rows.
struct Identities {
  block::RowIdentity identity;
  std::vector<std::string> cells;
};

// Every input's rows into `batch` (machine code), `rows`, `bad` (rows that
// cannot be read) and `ids`, in order. CSV rows are visited without making
// blocks: the model's instruction table splits their bytes
// (runtime::Surrogate); other inputs (assembly, ELF) are decoded here.

void read_rows(const InputOptions& input, runtime::BlockBatch& batch, std::vector<Row>& rows,
               std::map<std::size_t, BadRow>& bad, Identities& ids) {
  std::vector<std::string> notes;
  const block::ReadOptions read = input.read_options();
  for (std::uint32_t i = 0; i < input.inputs.size(); ++i) {
    const std::string& path = input.inputs[i];
    const std::string name = block::input_name(path);
    std::string text = block::read_input(path);
    const block::InputFormat format =
        read.format == block::InputFormat::kAuto ? block::detect_format(text) : read.format;
    if (format != block::InputFormat::kCsv) {
      block::BlockFile file = block::read_block_text(std::move(text), path, read);
      notes.insert(notes.end(), file.notes.begin(), file.notes.end());
      ids.identity.add_input(false, {});
      for (block::BasicBlock& block : file.blocks) {
        ids.cells.push_back("," + block::csv_field(block.name));
        if (block.error) bad[rows.size()] = {*block.error, block.hex_column()};
        block.bytes.insert(block.bytes.end(), block.dropped_branch.begin(), block.dropped_branch.end());
        batch.add(block.bytes);
        rows.push_back({i, 0, 0, 1});
      }
      continue;
    }
    const std::size_t first = rows.size();
    std::istringstream in(std::move(text));
    const std::vector<std::string> extra_names = block::visit_bhive_csv(
        in, name,
        [&](block::BhiveRow& row) {
          std::string cells;
          for (const std::string& c : row.extra_columns) (cells += ',') += block::csv_field(c);
          ids.cells.push_back(std::move(cells));
          if (row.error) {
            block::BasicBlock as_block;  // for its hex column (quoted where CSV needs it)
            as_block.error = row.error;
            as_block.text = std::move(row.text);
            bad[rows.size()] = {std::move(*row.error), as_block.hex_column()};
          }
          batch.add(row.bytes);
          rows.push_back({i, static_cast<std::uint32_t>(row.where.start.line),
                          static_cast<std::uint32_t>(row.where.start.byte), 2});
        },
        read.keep_bad_rows);
    if (rows.size() == first) throw util::InputError({name}, "no blocks found");
    ids.identity.add_input(true, extra_names);
  }
  block::report_notes(notes);
  if (ids.identity.by_name) {  // every row is named: CSV rows by FILE:LINE
    for (std::size_t r = 0; r < rows.size(); ++r)
      if (rows[r].line)
        ids.cells[r] =
            "," + block::csv_field(block::input_name(input.inputs[rows[r].input]) + ":" + std::to_string(rows[r].line));
  } else if (ids.identity.columns.empty()) {
    ids.cells.clear();
  }
}

int run(const Options& o) {
  util::refuse_output_over_input(o.output, o.input.inputs);
  // predict is short and touches ~1 KB of heap a block: page faults were a
  // third of its time under a paravirtual guest (util/large_page_heap.h).
  util::grow_heap_in_large_pages(std::size_t{32} << 20);
  const auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  // The model first: a bad model file fails before any decoding.
  auto model = std::make_unique<runtime::Surrogate>(o.model, runtime::SurrogateOptions{o.kernels});
  const double model_ms = ms_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  runtime::BlockBatch batch;
  std::vector<Row> rows;
  std::map<std::size_t, BadRow> bad;
  Identities ids;
  read_rows(o.input, batch, rows, bad, ids);
  const double read_ms = ms_since(t1);
  const auto start = std::chrono::steady_clock::now();
  std::vector<runtime::Prediction> predictions = model->predict_each(batch, o.jobs);
  const double predict_ms = ms_since(start);
  // A decoding fault is named at its place in the input.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (predictions[i].ok() || bad.count(i)) continue;
    const Row& r = rows[i];
    const std::size_t offset =
        predictions[i].error_offset == runtime::Prediction::kNoOffset ? 0 : predictions[i].error_offset;
    const util::InputError e(
        block::BytePosition{{block::input_name(o.input.inputs[r.input]), r.line, r.byte}, r.scale}.at(offset),
        predictions[i].error);
    std::string hex;
    util::append_hex(hex, batch[i].data(), batch[i].size());
    bad[i] = {util::row_error(e), std::move(hex)};
  }
  if (o.input.strict && !bad.empty()) throw std::runtime_error(bad.begin()->second.error.message);
  const auto t2 = std::chrono::steady_clock::now();
  // Rows into one buffer, written at once.
  std::string text = "hex,throughput" + ids.identity.header() + "\n";
  text.reserve(rows.size() * 64);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto b = bad.find(i);
    if (b != bad.end()) {
      text += b->second.hex_column;
      text += ',';
    } else {
      util::append_hex(text, batch[i].data(), batch[i].size());
      text += ',';
      append_throughput(text, predictions[i].throughput);
    }
    if (!ids.cells.empty()) text += ids.cells[i];
    text += '\n';
  }
  if (o.json) text = rows_as_json(text);
  util::AtomicFile out(o.output);
  out.stream().write(text.data(), static_cast<std::streamsize>(text.size()));
  out.commit();
  const double write_ms = ms_since(t2);
  if (o.stats) {
    // The inference alone (reading the inputs not included).
    const runtime::SurrogateStats stats = model->stats();
    std::fprintf(
        stderr, "surrogate predict: %s; predicted in %.1f ms (%.0f blocks/s); %s kernels, width %d, depth %d\n",
        stats.summary.c_str(), predict_ms, predict_ms > 0 ? 1e3 * static_cast<double>(rows.size()) / predict_ms : 0.0,
        model->kernels().c_str(), model->width(), model->depth());
    std::fprintf(stderr,
                 "surrogate predict: model load %.1f ms, reading blocks %.1f ms, splitting and inference %.1f ms, "
                 "writing %.1f ms\n",
                 model_ms, read_ms, predict_ms, write_ms);
  }
  block::report_row_errors(
      rows.size(),
      [&](std::size_t r) -> const util::RowError* {
        auto b = bad.find(r);
        return b == bad.end() ? nullptr : &b->second.error;
      },
      "predict", std::cerr);
  // The process ends after this command: the model's instruction table
  // (~50k small allocations) is left to it, not freed one by one.
  (void)model.release();
  return bad.empty() ? 0 : 1;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub =
      app.add_subcommand("predict",
                         "Predict blocks' throughput with a surrogate model (.srg file), without LibTorch; writes CSV "
                         "'hex,throughput' (cycles per 100 iterations), one row per input block in input order.");
  sub->add_option("--model", o->model, "surrogate model file (.srg)")->required();
  sub->add_option("-j,--jobs", o->jobs, "threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  sub->add_option("-o,--output", o->output, "output CSV ('-' = standard output)");
  sub->add_flag("--json", o->json,
                "the rows as JSON instead of CSV: {\"rows\": [{\"hex\": ..., \"throughput\": ...}]}");
  sub->add_flag("--stats", o->stats, "print instruction-cache hit rates to stderr");
  sub->add_option("--kernels", o->kernels, "matrix kernels: auto (the widest this CPU runs), scalar, avx2, avx512")
      ->check(CLI::IsMember({"auto", "scalar", "avx2", "avx512"}));
  add_input_options(sub, o->input);
  return {sub, [o] { return run(*o); }};
}

}  // namespace surrogate::cli
