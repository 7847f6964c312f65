#include "block/bhive_csv.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <string_view>

#include "block/decoder.h"
#include "util/hex.h"
#include "util/input_error.h"

namespace surrogate::block {

// split_csv_line into `fields` (views into `line`, or, for a line with
// quotes, into `unquoted`, which holds the fields with their quoting undone)
// and `field_starts` (appended). Capacity is kept between rows.
static void split_csv_line(std::string_view line, std::vector<std::string_view>& fields,
                           std::vector<std::string>& unquoted, std::vector<std::size_t>& field_starts,
                           char separator = ',') {
  fields.clear();
  if (line.find('"') == std::string_view::npos) {  // the common case: fields are plain slices
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = line.find(separator, start);
      field_starts.push_back(start);
      fields.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) return;
      start = comma + 1;
    }
  }
  std::size_t count = 0;
  auto next = [&]() -> std::string& {
    if (count == unquoted.size()) unquoted.emplace_back();
    std::string& f = unquoted[count++];
    f.clear();
    return f;
  };
  std::string* field = &next();
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        *field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        *field += c;
      }
    } else if (c == '"' && field->empty()) {
      quoted = true;
    } else if (c == separator) {
      field_starts.push_back(start);
      field = &next();
      start = i + 1;
    } else {
      *field += c;
    }
  }
  field_starts.push_back(start);
  for (std::size_t i = 0; i < count; ++i) fields.push_back(unquoted[i]);
}

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '\n' || c == '\r') c = ' ';  // one row stays one line
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::vector<std::string> split_csv_line(const std::string& line, std::vector<std::size_t>* field_starts) {
  std::vector<std::string_view> views;
  std::vector<std::string> unquoted;
  std::vector<std::size_t> starts;
  split_csv_line(std::string_view(line), views, unquoted, starts);
  if (field_starts) field_starts->insert(field_starts->end(), starts.begin(), starts.end());
  return std::vector<std::string>(views.begin(), views.end());
}

static bool parse_number(std::string_view s, double* out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// The lines of a stream, read in large blocks (std::getline on an ifstream
// was a good part of reading a 12k-row file). A line's view is valid until
// the next call.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}
  bool next(std::string_view* line) {
    for (;;) {
      const std::size_t end = buffer_.find('\n', pos_);
      if (end != std::string::npos) {
        *line = std::string_view(buffer_).substr(pos_, end - pos_);
        pos_ = end + 1;
        return true;
      }
      if (eof_) {
        if (pos_ >= buffer_.size()) return false;
        *line = std::string_view(buffer_).substr(pos_);  // a last line without a newline
        pos_ = buffer_.size();
        return true;
      }
      buffer_.erase(0, pos_);
      pos_ = 0;
      const std::size_t have = buffer_.size();
      buffer_.resize(have + kBlock);
      in_.read(buffer_.data() + have, static_cast<std::streamsize>(kBlock));
      buffer_.resize(have + static_cast<std::size_t>(in_.gcount()));
      if (!in_) eof_ = true;
    }
  }

 private:
  static constexpr std::size_t kBlock = 1 << 16;
  std::istream& in_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool eof_ = false;
};

// The hex, throughput and extra columns of one data row into `row`; throws
// InputError. With a header, the throughput is `throughput_column` (-1:
// none); without, a numeric second field.
static void read_row(const std::vector<std::string_view>& fields, const std::vector<std::size_t>& starts, bool header,
                     std::size_t hex_column, int throughput_column, const std::string& input, std::size_t line_no,
                     BhiveRow& row) {
  if (hex_column >= fields.size())
    throw util::InputError({input, line_no, starts.back()},
                           "no hex field (the header names column " + std::to_string(hex_column + 1) + ")");
  if (fields[hex_column].size() > 2 * kMaxBlockBytes)
    throw util::InputError({input, line_no, starts[hex_column]},
                           "block larger than " + std::to_string(kMaxBlockBytes) + " bytes (" +
                               std::to_string(fields[hex_column].size() / 2) + " bytes): not a basic block");
  std::size_t bad = 0;
  std::string why;
  if (!util::parse_hex(fields[hex_column], &row.bytes, &bad, &why))
    throw util::InputError({input, line_no, starts[hex_column] + bad}, why);
  int tp_col = header ? throughput_column : -1;
  double value = 0;
  if (!header && fields.size() > 1 && parse_number(fields[1], &value)) tp_col = 1;
  for (std::size_t c = 0; c < fields.size(); ++c) {
    if (c == hex_column) continue;
    if (static_cast<int>(c) == tp_col) {
      if (fields[c].empty()) continue;
      if (!parse_number(fields[c], &value) || !(value >= 0))
        throw util::InputError({input, line_no, starts[c]},
                               "throughput is not a non-negative number: '" + std::string(fields[c]) + "'");
      row.throughput = value;
    } else {
      row.extra_columns.emplace_back(fields[c]);
    }
  }
}

static constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

static bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// Index of the field spelled `name` (any case, quotes undone, spaces around
// it ignored), or -1.
static int find_column(const std::vector<std::string_view>& fields, std::string_view name) {
  for (std::size_t c = 0; c < fields.size(); ++c) {
    std::string_view f = fields[c];
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
    if (equals_ignoring_case(f, name)) return static_cast<int>(c);
  }
  return -1;
}

char csv_separator(std::string_view first_line) {
  if (first_line.find(',') != std::string_view::npos) return ',';
  if (first_line.find('\t') != std::string_view::npos) return '\t';
  if (first_line.find(';') != std::string_view::npos) return ';';
  return ',';
}

bool looks_like_bhive_csv(std::string_view text) {
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  std::size_t from = 0;
  std::vector<std::string_view> fields;
  std::vector<std::string> unquoted;
  std::vector<std::size_t> starts;
  while (from < text.size()) {
    const std::size_t end = std::min(text.find('\n', from), text.size());
    std::string_view line = text.substr(from, end - from);
    from = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    split_csv_line(line, fields, unquoted, starts, csv_separator(line));
    if (find_column(fields, "hex") >= 0) return true;
    std::size_t i = 0;
    while (i < fields[0].size() && std::isxdigit(static_cast<unsigned char>(fields[0][i]))) ++i;
    return i > 0 && i == fields[0].size();
  }
  return false;
}

std::vector<std::string> visit_bhive_csv(std::istream& in, const std::string& input,
                                         const std::function<void(BhiveRow&)>& visit, bool keep_bad_rows) {
  std::vector<std::string> extra_column_names;
  LineReader lines(in);
  std::string_view line;
  std::size_t line_no = 0;
  bool first_row = true;
  int throughput_column = -1;  // -1: none; with no header, decided per row (column 1 if numeric)
  bool header = false;
  BhiveRow row;
  row.where = BytePosition{{input}, 2};
  std::vector<std::string_view> fields;  // the row's
  std::vector<std::string> unquoted;     // their text where quoting was undone
  std::vector<std::size_t> starts;
  std::size_t hex_column = 0;
  char separator = ',';
  while (lines.next(&line)) {
    ++line_no;
    if (line_no == 1 && line.starts_with(kUtf8Bom)) line.remove_prefix(kUtf8Bom.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (first_row) separator = csv_separator(line);
    starts.clear();
    split_csv_line(line, fields, unquoted, starts, separator);
    if (first_row) {
      first_row = false;
      const int named_hex = find_column(fields, "hex");
      if (named_hex >= 0) {
        header = true;
        hex_column = static_cast<std::size_t>(named_hex);
        for (std::size_t c = 0; c < fields.size(); ++c) {
          if (c == hex_column) continue;
          if (throughput_column < 0 && equals_ignoring_case(fields[c], "throughput"))
            throughput_column = static_cast<int>(c);
          else
            extra_column_names.emplace_back(fields[c]);
        }
        continue;
      }
    }
    row.line = line_no;
    row.where.start.line = line_no;
    row.where.start.byte = starts[0];
    row.throughput.reset();
    row.extra_columns.clear();
    row.error.reset();
    try {
      read_row(fields, starts, header, hex_column, throughput_column, input, line_no, row);
    } catch (const util::InputError& e) {
      if (!keep_bad_rows) throw;
      row.error = util::row_error(e);
      row.text.assign(hex_column < fields.size() ? fields[hex_column] : std::string_view());
      row.bytes.clear();
      row.throughput.reset();
      // The extra columns still name the row (with a header, they are known).
      row.extra_columns.clear();
      if (header)
        for (std::size_t c = 0; c < fields.size(); ++c)
          if (c != hex_column && static_cast<int>(c) != throughput_column) row.extra_columns.emplace_back(fields[c]);
    }
    visit(row);
  }
  if (in.bad()) throw util::InputError({input, line_no}, "read error");
  return extra_column_names;
}

BlockFile read_bhive_csv(std::istream& in, const std::string& input, const DecodeBlock& decode,
                         std::size_t expected_rows, bool keep_bad_rows) {
  BlockFile file;
  file.blocks.reserve(expected_rows);
  std::unique_ptr<Decoder> decoder;
  if (!decode) decoder = std::make_unique<Decoder>();
  file.extra_column_names = visit_bhive_csv(
      in, input,
      [&](BhiveRow& row) {
        std::string name = input + ":" + std::to_string(row.line);
        BasicBlock block;
        if (!row.error) {
          std::string text = keep_bad_rows ? util::to_hex(row.bytes) : std::string();
          try {
            block = decoder ? decoder->decode_block(std::move(row.bytes), name, row.where, &file.notes)
                            : decode(std::move(row.bytes), name, row.where, &file.notes);
          } catch (const util::InputError& e) {
            if (!keep_bad_rows) throw;
            row.error = util::row_error(e);
            row.text = std::move(text);
          }
        }
        if (row.error) {
          block = BasicBlock{};
          block.name = std::move(name);
          block.error = std::move(row.error);
          block.text = std::move(row.text);
        }
        block.throughput = row.throughput;
        block.extra_columns = std::move(row.extra_columns);
        file.blocks.push_back(std::move(block));
      },
      keep_bad_rows);
  return file;
}

}  // namespace surrogate::block
