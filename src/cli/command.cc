#include "cli/command.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Host.h"
#include "mca/cpu_catalog.h"

#include <algorithm>
#include <set>
#include <iostream>

#include <csignal>
#include <cmath>
#include <cstdio>

namespace surrogate::cli {

std::atomic<bool> interrupted{false};

static void on_signal(int) { interrupted = true; }

void install_interrupt_handler() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

block::ReadOptions InputOptions::read_options() const {
  block::ReadOptions r;
  r.format = block::input_format_named(format).value_or(block::InputFormat::kAuto);
  r.keep_bad_rows = !strict;
  return r;
}

std::string rows_as_json(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = block::split_csv_line(line, nullptr);
  nlohmann::json rows = nlohmann::json::array();
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = block::split_csv_line(line, nullptr);
    nlohmann::json row = nlohmann::json::object();
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::string value = c < fields.size() ? fields[c] : "";
      if (header[c] == "throughput")
        row[header[c]] = value.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::stod(value));
      else
        row[header[c]] = value;
    }
    rows.push_back(std::move(row));
  }
  return nlohmann::json{{"rows", std::move(rows)}}.dump(1) + "\n";
}

std::optional<std::string> resolve_mcpu(const std::string& cpu, const std::string& command) {
  if (cpu == "help") {
    for (const mca::CpuInfo& c : mca::x86_cpus()) std::cout << c.name << '\n';
    return std::nullopt;
  }
  if (cpu != "native") return cpu;
  const std::string host = llvm::sys::getHostCPUName().str();
  std::cerr << "surrogate " << command << ": -mcpu=native is " << host << " (LLVM's host CPU detection)\n";
  return host;
}

void add_input_options(CLI::App* sub, InputOptions& o) {
  sub->add_option("--input-format", o.format, "input format: auto (from the content), csv, hex, asm, elf")
      ->check(CLI::IsMember({"auto", "csv", "hex", "asm", "elf"}));
  sub->add_flag("--strict", o.strict, "a row that cannot be read is fatal (no output) instead of an empty result");
  sub->add_option("inputs", o.inputs,
                  "blocks: BHive CSV / hex lines (.gz too), AT&T or Intel assembly, x86-64 ELF ('-' or none: "
                  "standard input)");
  // As llvm-mca: no input file reads standard input.
  sub->parse_complete_callback([&o] {
    if (o.inputs.empty()) o.inputs = {"-"};
  });
}

namespace {

// Flushes standard output; false when it could not be written (a full disk,
// a closed pipe), which a tool must not report as success.
bool finish_standard_output() {
  std::cout.flush();
  if (!std::cout) return false;
  return std::fflush(stdout) == 0 && !std::ferror(stdout);
}

// The long option names of `app` and its subcommands, without dashes.
void collect_long_names(const CLI::App& app, std::set<std::string>& names) {
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& n : opt->get_lnames()) names.insert(n);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) collect_long_names(*sub, names);
}

// LLVM tools spell long options with one dash (-mcpu=haswell, -json,
// -jobs=2); CLI11 wants two. A one-dash word naming a long option of the
// program is taken as that option. "help [CMD]" is "[CMD] --help".
std::vector<std::string> llvm_style_args(const CLI::App& app, int argc, char** argv) {
  std::set<std::string> names;
  collect_long_names(app, names);
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::string& a : args) {
    if (a.size() < 3 || a[0] != '-' || a[1] == '-') continue;
    if (names.count(a.substr(1, a.find('=') - 1))) a = "-" + a;
  }
  if (!args.empty() && args[0] == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
  return args;
}

// The subcommand the words chose (the deepest parsed one), else `app`.
const CLI::App& chosen_command(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands())
    if (sub->parsed()) return chosen_command(*sub);
  return app;
}

// "--widht 8" is a misspelt option, not two stray words: name the option
// and the nearest one the command has (edit distance <= 2), as LLVM's tools
// do ("Did you mean '--width'?"). Empty when no extra word is an option.
std::string unknown_option_message(const CLI::App& app, const std::vector<std::string>& extras) {
  const CLI::App& command = chosen_command(app);
  std::set<std::string> names;
  collect_long_names(command, names);
  for (const std::string& word : extras) {
    const std::size_t start = word.find_first_not_of('-');
    if (word.empty() || word[0] != '-' || start == std::string::npos) continue;
    const std::string name = word.substr(start, word.find('=') - start);
    std::string best;
    unsigned best_distance = 3;
    for (const std::string& n : names) {
      const unsigned d = llvm::StringRef(n).edit_distance(name, true, best_distance);
      if (d < best_distance) best = n, best_distance = d;
    }
    std::string cmd = command.get_parent() ? " " + command.get_name() : "";
    return "surrogate" + cmd + ": unknown option '" + word + "'" +
           (best.empty() ? "" : "; did you mean '--" + best + "'?") + " ('surrogate help" + cmd + "' lists them)";
  }
  return "";
}

}  // namespace

int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv) {
  try {
    std::vector<std::string> args = llvm_style_args(app, argc, argv);
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; usage errors exit 2, as getopt tools do.
    // A misspelt option is named first: it is why a required one may look
    // missing ("--mdel m.srg" is not "--model is required").
    // Any other usage error is one line too (CLI11's own adds a second,
    // "Run with --help ..."), naming the command.
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? 0 : 2;
    std::string message = unknown_option_message(app, app.remaining(true));
    if (message.empty()) {
      const CLI::App& command = chosen_command(app);
      const std::string cmd = command.get_parent() ? " " + command.get_name() : "";
      message = "surrogate" + cmd + ": " + e.what() + " ('surrogate help" + cmd + "' lists the options)";
    }
    std::cerr << message << '\n';
    return 2;
  }
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      const int status = c.run();
      if (!finish_standard_output()) {
        std::cerr << "surrogate " << c.app->get_name() << ": error: standard output: write failed\n";
        return 1;
      }
      return status;
    } catch (const std::exception& e) {
      std::cerr << "surrogate " << c.app->get_name() << ": error: " << e.what() << '\n';
      return 1;
    }
  }
  return 1;
}

}  // namespace surrogate::cli
