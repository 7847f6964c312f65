#include "fuzz/targets.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "apps/compile_spec.h"
#include "block/block_reader.h"
#include "dataset/label_store.h"
#include "mca/cpu_params_json.h"
#include "runtime/model_file.h"
#include "util/hex.h"

namespace surrogate::fuzz {
namespace {

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "fuzz target contract broken: %s\n", why.c_str());
  std::abort();
}

// A message the tools print as their one line.
void check_one_line(const std::string& message) {
  if (message.empty()) fail("empty error message");
  if (message.find('\n') != std::string::npos) fail("error message of several lines: " + message);
}

// Runs `parse`; bad input must end in a one-line std::runtime_error.
template <typename Parse>
void expect_clean(Parse&& parse) {
  try {
    parse();
  } catch (const std::runtime_error& e) {
    check_one_line(e.what());
  }
}

std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Any text as a block file (CSV / hex lines or assembly; ELF has its own
// target), strict and with bad rows kept, whose errors are one line each.
void block_text(const std::uint8_t* data, std::size_t size) {
  const std::string text = text_of(data, size);
  if (block::detect_format(text) == block::InputFormat::kElf) return;
  expect_clean([&] { block::read_block_text(text, "fuzz.txt"); });
  block::ReadOptions keep;
  keep.keep_bad_rows = true;
  expect_clean([&] {
    for (const block::BasicBlock& b : block::read_block_text(text, "fuzz.txt", keep).blocks) {
      if (b.error) check_one_line(b.error->message);
      if (b.error && b.error->kind.empty()) fail("bad row without a kind: " + b.error->message);
      if (!b.error && b.instructions.empty()) fail("a block without instructions");
    }
  });
}

// Any bytes as an ELF file (read from a path, as the tools do).
void elf(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/surrogate-fuzz-elf-" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  block::ReadOptions elf_format;
  elf_format.format = block::InputFormat::kElf;
  expect_clean([&] { block::read_block_file(path, elf_format); });
  elf_format.liveness = true;  // optimize's reading: relocations and the control flow too
  expect_clean([&] { block::read_block_file(path, elf_format); });
  std::remove(path.c_str());  // a run leaves nothing in /tmp
}

void labels(const std::uint8_t* data, std::size_t size) {
  expect_clean([&] {
    for (const util::RowError& e : dataset::parse_labels(text_of(data, size), "fuzz.labels").unreadable_rows)
      check_one_line(e.message);
  });
}

void model_file(const std::uint8_t* data, std::size_t size) {
  expect_clean([&] { runtime::parse_model_file(text_of(data, size), "fuzz.srg"); });
}

void params_json(const std::uint8_t* data, std::size_t size) {
  expect_clean([&] { mca::params_from_json(text_of(data, size), "fuzz.json"); });
}

void compile_spec(const std::uint8_t* data, std::size_t size) {
  expect_clean([&] { apps::parse_compile_spec(text_of(data, size), "fuzz.toml"); });
}

void hex(const std::uint8_t* data, std::size_t size) {
  std::size_t offset = 0;
  std::string error;
  const std::string text = text_of(data, size);
  auto bytes = util::parse_hex(text, &offset, &error);
  if (bytes && util::to_hex(*bytes).size() != text.size()) fail("hex round trip changes the length");
  if (!bytes) check_one_line(error);
}

}  // namespace

const std::vector<NamedTarget>& targets() {
  static const std::vector<NamedTarget> all = {{"block_text", block_text},
                                               {"elf", elf},
                                               {"labels", labels},
                                               {"model_file", model_file},
                                               {"params_json", params_json},
                                               {"hex", hex},
                                               {"compile_spec", compile_spec}};
  return all;
}

Target target(const std::string& name) {
  for (const NamedTarget& t : targets())
    if (name == t.name) return t.run;
  fail("no fuzz target '" + name + "'");
}

}  // namespace surrogate::fuzz
