#include "apps/compile_spec.h"

#include <algorithm>
#include <cstring>
#include <toml++/toml.h>
#include <type_traits>

#include "runtime/frontend.h"
#include "util/input_error.h"
#include "util/atomic_file.h"

namespace surrogate::apps {
namespace {

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable -- undefined
// behaviour -- when it asks whether some non-ASCII characters are
// whitespace (upstream issues #190 and #295, fixed after 3.3; found here by
// the compile_spec fuzz target). It asks outside strings and comments --
// also while reading ahead over an invalid token -- and after a backslash in
// a multi-line basic string. So a spec is parsed in two steps:
//  1. parse_ascii_copy: the text with every non-ASCII byte replaced by '~'
//     (an ordinary character in strings and comments, invalid anywhere
//     else in TOML, as non-ASCII characters are): no UB is possible, and it
//     succeeds iff the text is valid TOML apart from escapes;
//  2. refuse_non_ascii_after_backslash on the now well-formed text, whose
//     strings and comments this scanner finds as toml++ does; then toml++
//     parses the text itself.
void refuse_non_ascii_after_backslash(const std::string& text, const std::string& path) {
  enum class In { kTop, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral } in = In::kTop;
  bool after_line_ending_backslash = false;  // in kMultiBasic: skipping the whitespace after one
  std::size_t line = 1, line_start = 0;
  auto starts = [&](std::size_t i, const char* s) { return text.compare(i, std::strlen(s), s) == 0; };
  auto is_whitespace = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  // The index of the last quote of the run at i (a multi-line string's
  // closing delimiter is the run's last three: `""""` ends in `"`).
  auto run_end = [&](std::size_t i) {
    while (i + 1 < text.size() && text[i + 1] == text[i]) ++i;
    return i;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') line += 1, line_start = i + 1;
    switch (in) {
      case In::kTop:
        if (c == '#')
          in = In::kComment;
        else if (starts(i, "\"\"\""))
          in = In::kMultiBasic, i += 2;
        else if (starts(i, "'''"))
          in = In::kMultiLiteral, i += 2;
        else if (c == '"')
          in = In::kBasic;
        else if (c == '\'')
          in = In::kLiteral;
        break;
      case In::kComment:
        if (c == '\n') in = In::kTop;
        break;
      case In::kBasic:
        if (c == '\\')
          ++i;  // an escape (valid: step 1 parsed): its character is not the closing quote
        else if (c == '"')
          in = In::kTop;
        break;
      case In::kLiteral:
        if (c == '\'') in = In::kTop;
        break;
      case In::kMultiBasic:
        if (after_line_ending_backslash) {
          if (is_whitespace(c)) break;
          after_line_ending_backslash = false;
          if (c >= 0x80)
            throw util::InputError({path, line, i - line_start}, "non-ASCII character after a line-ending backslash");
        }
        if (c == '\\') {
          // valid (step 1 parsed): whitespace up to the line's end, or an escape
          if (i + 1 < text.size() && is_whitespace(static_cast<unsigned char>(text[i + 1])))
            after_line_ending_backslash = true;
          else
            ++i;
        } else if (starts(i, "\"\"\"")) {
          in = In::kTop, i = run_end(i);
        }
        break;
      case In::kMultiLiteral:
        if (starts(i, "'''")) in = In::kTop, i = run_end(i);
        break;
    }
  }
}

// toml++'s error at its position; `reason` instead of its description if given.
util::InputError spec_error(const toml::parse_error& e, const std::string& path, const std::string& reason = "") {
  const toml::source_position at = e.source().begin;
  return util::InputError({path, at.line, at.column ? at.column - 1 : 0},
                          reason.empty() ? std::string(e.description()) : reason);
}

void parse_ascii_copy(const std::string& text, const std::string& path) {
  std::string ascii = text;
  for (char& c : ascii)
    if (static_cast<unsigned char>(c) >= 0x80) c = '~';
  if (ascii == text) return;  // step 2's parse is the same
  try {
    toml::parse(ascii, path);
  } catch (const toml::parse_error& e) {
    // On a replaced byte: the user wrote no '~' there.
    const toml::source_position at = e.source().begin;
    std::size_t line_start = 0;
    for (std::size_t line = 1, newline; line < at.line; ++line, line_start = newline + 1)
      if ((newline = text.find('\n', line_start)) == std::string::npos) break;
    const std::size_t byte = line_start + (at.column ? at.column - 1 : 0);
    if (byte < text.size() && static_cast<unsigned char>(text[byte]) >= 0x80)
      throw spec_error(e, path, "non-ASCII character where TOML allows none (outside strings and comments)");
    throw spec_error(e, path);
  }
}

// Typed access to spec keys with errors that name file, line and key.
class SpecReader {
 public:
  SpecReader(const toml::table& t, const std::string& path) : table_(t), path_(path) {}

  template <typename T>
  void get(const char* section, const char* key, T& out, bool required = false) {
    const toml::node* node = table_.at_path(std::string(section) + "." + key).node();
    if (!node) {
      if (required) throw util::InputError({path_, 0}, std::string("missing key ") + section + "." + key);
      return;
    }
    auto fail = [&](const std::string& what) {
      throw util::InputError({path_, node->source().begin.line}, std::string(section) + "." + key + ": " + what);
    };
    if constexpr (std::is_same_v<T, std::string>) {
      if (!node->is_string()) fail("expected a string");
      out = **node->as_string();
    } else if constexpr (std::is_same_v<T, double>) {
      if (!node->is_number()) fail("expected a number");
      out = node->value<double>().value();
    } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
      const toml::array* a = node->as_array();
      if (!a || a->empty()) fail("expected a non-empty array of integers");
      out.clear();
      for (const toml::node& e : *a) {
        if (!e.is_integer() || e.value<std::int64_t>().value() < 1) fail("expected positive integers");
        out.push_back(e.value<std::int64_t>().value());
      }
    } else {
      if (!node->is_integer() || node->value<std::int64_t>().value() < 0) fail("expected a non-negative integer");
      out = static_cast<T>(node->value<std::int64_t>().value());
    }
  }

 private:
  const toml::table& table_;
  const std::string& path_;
};

}  // namespace

CompileSpec parse_compile_spec(const std::string& text, const std::string& path) {
  parse_ascii_copy(text, path);
  refuse_non_ascii_after_backslash(text, path);
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw spec_error(e, path);
  }
  CompileSpec s;
  s.path = path;
  SpecReader r(table, path);
  r.get("program", "simulator", s.simulator);
  r.get("program", "cpu", s.cpu, true);
  r.get("program", "iterations", s.iterations);
  r.get("data", "labels", s.labels, true);
  r.get("error", "metric", s.metric);
  r.get("error", "max_error", s.max_error, true);
  r.get("objective", "cost", s.cost);
  r.get("search", "widths", s.widths);
  r.get("search", "depth", s.depth);
  r.get("search", "frontend", s.frontend);
  r.get("search", "jobs", s.jobs);
  r.get("training", "max_minutes", s.max_minutes);
  r.get("training", "max_epochs", s.training.max_epochs);
  r.get("training", "batch_size", s.training.batch_size);
  r.get("training", "learning_rate", s.training.learning_rate);
  r.get("training", "patience", s.training.patience);
  r.get("training", "seed", s.training.seed);
  r.get("output", "dir", s.output_dir, true);
  r.get("output", "model", s.output_model);
  if (s.simulator != "llvm-mca-19")
    throw util::InputError({path, 0}, "program.simulator: only \"llvm-mca-19\" is supported");
  if (s.metric != "mape") throw util::InputError({path, 0}, "error.metric: only \"mape\" is supported");
  if (s.cost != "blocks_per_second")
    throw util::InputError({path, 0}, "objective.cost: only \"blocks_per_second\" is supported");
  if (!(s.max_error > 0)) throw util::InputError({path, 0}, "error.max_error: must be positive");
  if (runtime::frontend_features(s.frontend) < 0)
    throw util::InputError({path, 0}, "search.frontend: must be " + runtime::known_frontends());
  s.jobs = std::max(1u, s.jobs);
  s.depth = std::max<std::int64_t>(1, s.depth);
  std::sort(s.widths.begin(), s.widths.end());
  s.widths.erase(std::unique(s.widths.begin(), s.widths.end()), s.widths.end());
  // Relative paths in the spec are relative to the directory it is run from.
  return s;
}

CompileSpec read_compile_spec(const std::string& path) { return parse_compile_spec(util::read_file(path), path); }

}  // namespace surrogate::apps
