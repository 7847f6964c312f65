#include "block/asm_reader.h"

#include <algorithm>
#include <cctype>

#include <map>

#include "block/decoder.h"
#include "block/machine_code_encoder.h"
#include "block/x86_target.h"
#include "llvm/MC/MCContext.h"
#include "llvm/MC/MCFixup.h"
#include "llvm/MC/MCObjectFileInfo.h"
#include "llvm/MC/MCParser/MCAsmLexer.h"
#include "llvm/MC/MCParser/MCAsmParser.h"
#include "llvm/MC/MCParser/MCTargetAsmParser.h"
#include "llvm/MC/MCStreamer.h"
#include "llvm/MC/MCTargetOptions.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "util/input_error.h"

namespace surrogate::block {

namespace {

// Collects instructions as the parser emits them; ignores everything else.
class InstructionCollector final : public llvm::MCStreamer {
 public:
  explicit InstructionCollector(llvm::MCContext& context) : MCStreamer(context) {}
  void emitInstruction(const llvm::MCInst& inst, const llvm::MCSubtargetInfo&) override {
    instructions.push_back(inst);
  }
  bool emitSymbolAttribute(llvm::MCSymbol*, llvm::MCSymbolAttr) override { return true; }
  void emitCommonSymbol(llvm::MCSymbol*, uint64_t, llvm::Align) override {}
  void emitZerofill(llvm::MCSection*, llvm::MCSymbol*, uint64_t, llvm::Align, llvm::SMLoc) override {}
  std::vector<llvm::MCInst> instructions;
};

struct Diagnostic {
  bool set = false;
  std::size_t line = 0, column = 0;
  std::string message;
};

void on_diagnostic(const llvm::SMDiagnostic& d, void* context) {
  auto* diag = static_cast<Diagnostic*>(context);
  if (diag->set || d.getKind() != llvm::SourceMgr::DK_Error) return;
  diag->set = true;
  diag->line = d.getLineNo();
  diag->column = d.getColumnNo() < 0 ? 0 : d.getColumnNo();
  diag->message = d.getMessage().str();
}

}  // namespace

AsmSyntax detect_asm_syntax(const std::string& text) {
  if (text.find(".intel_syntax") != std::string::npos) return AsmSyntax::kIntel;
  if (text.find(".att_syntax") != std::string::npos) return AsmSyntax::kAtt;
  // AT&T marks registers with '%', immediates with '$' and memory with '(';
  // Intel text has none of them.
  return text.find_first_of("%$(") == std::string::npos ? AsmSyntax::kIntel : AsmSyntax::kAtt;
}

namespace {

// One run of LLVM's assembler over a text, for one subtarget. Owns what the
// parsed instructions' locations point into.
class Assembly {
 public:
  Assembly(const std::string& text, const std::string& input, const llvm::MCSubtargetInfo& sti, AsmSyntax syntax)
      : x86_(X86Target::get()) {
    source_.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, input), llvm::SMLoc());
    source_.setDiagHandler(on_diagnostic, &error);
    context_ = std::make_unique<llvm::MCContext>(x86_.triple(), &x86_.asm_info(), &x86_.reg_info(), &sti, &source_);
    // Errors reported through the context (a .cfi_ directive outside
    // .cfi_startproc) go where the parser's go: LLVM's own handler printed
    // them to stderr as three lines beside ours.
    context_->setDiagnosticHandler(
        [this](const llvm::SMDiagnostic& d, bool, const llvm::SourceMgr&, std::vector<const llvm::MDNode*>&) {
          on_diagnostic(d, &error);
        });
    object_info_.reset(x86_.target().createMCObjectFileInfo(*context_, false));
    context_->setObjectFileInfo(object_info_.get());
    InstructionCollector collector(*context_);
    std::unique_ptr<llvm::MCAsmParser> parser(llvm::createMCAsmParser(source_, *context_, collector, x86_.asm_info()));
    llvm::MCTargetOptions options;
    std::unique_ptr<llvm::MCTargetAsmParser> target_parser(
        x86_.target().createMCAsmParser(sti, *parser, x86_.instr_info(), options));
    parser->setTargetParser(*target_parser);
    if (syntax == AsmSyntax::kIntel) parser->setAssemblerDialect(1);
    // MASM integer literals (05h, 101b), as llvm-mca's own reader takes them
    // (its test print-imm-hex-1.s: `shl $5h, %eax`).
    parser->getLexer().setLexMasmIntegers(true);
    // LLVM's assembler aborts on some hostile text (report_fatal_error: a
    // 57-byte Intel expression of '~'s asks a SmallVector for 2^32 slots):
    // run it under LLVM's crash recovery, so that text is an input error, not
    // the end of the process (issue 13). What LLVM would print is kept.
    static const bool recovery = [] {
      llvm::CrashRecoveryContext::Enable();
      return true;
    }();
    (void)recovery;
    llvm::ScopedFatalErrorHandler quiet(
        [](void* data, const char* reason, bool) { *static_cast<std::string*>(data) = reason; }, &fatal);
    llvm::CrashRecoveryContext crash_recovery;
    crashed = !crash_recovery.RunSafely([&] { failed = parser->Run(/*NoInitialTextSection=*/false) || error.set; });
    failed = failed || crashed;
    instructions = std::move(collector.instructions);
  }
  // 1-based line and 0-based column of an instruction ({0, 0} if unknown).
  std::pair<std::size_t, std::size_t> position(const llvm::MCInst& inst) const {
    if (!inst.getLoc().isValid()) return {0, 0};
    auto [line, col] = source_.getLineAndColumn(inst.getLoc());
    return {line, col ? col - 1 : 0};
  }
  llvm::MCContext& context() { return *context_; }

  bool failed = false;
  bool crashed = false;  // LLVM's assembler died on the text (its reason in `fatal`, if it gave one)
  std::string fatal;
  Diagnostic error;
  std::vector<llvm::MCInst> instructions;

 private:
  const X86Target& x86_;
  llvm::SourceMgr source_;
  std::unique_ptr<llvm::MCContext> context_;
  std::unique_ptr<llvm::MCObjectFileInfo> object_info_;
};

}  // namespace

// A block file is untrusted input, so directives that make LLVM's assembler
// read other files or expand text are refused: `.include`/`.incbin` (an
// error message would show the file's first line: "/etc/shadow"), `.macro`,
// `.irp` and `.irpc` (an argument spells `.inc\a` into `.include`), a
// `.rept`/`.rep` that could expand past kRepeatLimit (`.rept 100000000`: a
// 30-byte file expanding for minutes), `.ds`/`.ds.b`... (`.ds.b 10000000`:
// 1.3 s and 286 MB, a value at a time) and `.print` (text written to
// standard output, into `-o -`'s CSV). They are looked for as whole words
// anywhere in the text, not per statement: LLVM begins statements after
// '\n', '\r', ';', labels (quoted ones too) and block comments, and such a
// word in a comment or string is refused rather than missed.
static void refuse_unsafe_directives(const std::string& text, const std::string& input) {
  // Repetitions in all (the product of every .rept count: nesting is not
  // tracked) and expanded text (that times the text's size) at most.
  constexpr std::uint64_t kRepeatLimit = kMaxBlockBytes, kExpandedBytesLimit = std::uint64_t{16} << 20;
  // LLVM's identifiers have these characters and maybe more ('$', '@', '?'):
  // a word bounded by anything else holds LLVM's identifier or is within one.
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
  std::uint64_t repeats = 1;
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
      continue;
    }
    if (text[i] != '.' || (i > 0 && word_char(text[i - 1]))) continue;
    std::size_t end = i + 1;
    while (end < text.size() && word_char(text[end])) ++end;
    std::string word = text.substr(i, end - i);
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const util::InputPosition at{input, line, i - line_start};
    if (word == ".include" || word == ".incbin")
      throw util::InputError(at, "'" + word + "' reads another file: not allowed in a block file");
    if (word == ".macro" || word == ".irp" || word == ".irpc")
      throw util::InputError(at, "'" + word + "' expands text: not allowed in a block file (write the instructions)");
    if (word == ".print") throw util::InputError(at, "'.print' writes to standard output: not allowed in a block file");
    if (word == ".ds" || (word.size() == 5 && word.compare(0, 4, ".ds.") == 0))
      throw util::InputError(at, "'" + word + "' emits its count's values one by one: not allowed in a block file");
    if (word == ".rept" || word == ".rep") {
      // The count: a decimal number alone (no expression), at most the limit.
      std::size_t digit = end;
      while (digit < text.size() && (text[digit] == ' ' || text[digit] == '\t')) ++digit;
      std::size_t after = digit;
      std::uint64_t count = 0;
      while (after < text.size() && std::isdigit(static_cast<unsigned char>(text[after])) && count <= kRepeatLimit)
        count = 10 * count + static_cast<std::uint64_t>(text[after++] - '0');
      while (after < text.size() && (text[after] == ' ' || text[after] == '\t')) ++after;
      const bool alone = after == text.size() || text[after] == '\n' || text[after] == '\r' || text[after] == ';' ||
                         text[after] == '#';
      repeats *= std::max<std::uint64_t>(count, 1);
      if (after == digit || !alone || count > kRepeatLimit || repeats > kRepeatLimit ||
          repeats * text.size() > kExpandedBytesLimit)
        throw util::InputError(at, "'" + word + "' needs a number as its count, and at most " +
                                       std::to_string(kRepeatLimit) + " repetitions in all and " +
                                       std::to_string(kExpandedBytesLimit >> 20) +
                                       " MiB of text expanded in a block file");
    }
    i = end - 1;
  }
}

// LLVM's AT&T expression parser recurses once per parenthesis and unary
// operator and once per binary operator of a chain, ~450 bytes of stack a
// level: 20,000 '(' on one line (`addq $((((...`) overflowed the 8 MiB
// stack and killed the process (SIGSEGV, which its crash recovery cannot
// catch on the overflowed stack). A line (LLVM ends statements at '\n' and
// '\r') with more than kMaxOperators operator characters is refused first:
// at most ~1 MiB of stack; no real statement comes near.
static void refuse_deep_expressions(const std::string& text, const std::string& input) {
  constexpr std::size_t kMaxOperators = 2000;
  static constexpr std::string_view kOperators = "()[]+-*/%&|^~!<>";
  std::size_t line = 1, line_start = 0, operators = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      operators = 0;
      if (c == '\n') {
        ++line;
        line_start = i + 1;
      }
    } else if (kOperators.find(c) != std::string_view::npos && ++operators > kMaxOperators) {
      throw util::InputError({input, line, i - line_start},
                             "more than " + std::to_string(kMaxOperators) +
                                 " operators on one line: LLVM's expression parser would recurse through them all");
    }
  }
}

// LLVM 19 divides constants without a check where the x86 division traps:
// the Intel expression evaluator on x/0, x%0, x MOD 0 and both dialects on
// INT64_MIN / -1 (SIGFPE; crash recovery turned it into an input error with
// no position that leaked the parsed operands, 320 bytes each: the
// block_text fuzzer). So the divisor of every '/', modulo '%' (in AT&T
// text not a '%' and a letter: a register) and, in Intel text, MOD must be
// a number literal from 1 to
// 2^63-1 (decimal, 0x hex or h-suffixed hex); strings, character literals
// and comments are skipped as LLVM's lexer skips them.
static void refuse_trapping_divisions(const std::string& text, const std::string& input, bool intel) {
  auto ident = [&](std::size_t i) {
    return i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '.' ||
                               text[i] == '$' || text[i] == '@' || text[i] == '?');
  };
  // The position after blanks and block comments from i.
  auto skip = [&](std::size_t i) {
    while (i < text.size()) {
      if (text[i] == ' ' || text[i] == '\t' || text[i] == '\0') {
        ++i;
      } else if (text.compare(i, 2, "/*") == 0) {
        const std::size_t close = text.find("*/", i + 2);
        i = close == std::string::npos ? text.size() : close + 2;
      } else {
        break;
      }
    }
    return i;
  };
  // Whether a positive literal below 2^63 starts at i (and ends there).
  auto positive_literal = [&](std::size_t i) {
    std::size_t end = i;
    while (ident(end)) ++end;
    std::string digits = text.substr(i, end - i);
    for (char& c : digits) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    int base = 10;
    if (digits.size() > 2 && digits.compare(0, 2, "0x") == 0) {
      base = 16;
      digits.erase(0, 2);
    } else if (digits.size() > 1 && digits.back() == 'h' && std::isdigit(static_cast<unsigned char>(digits[0]))) {
      base = 16;
      digits.pop_back();
    }
    if (digits.empty()) return false;
    std::uint64_t value = 0;
    for (char c : digits) {
      const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
      if (d >= base || value > (std::uint64_t{1} << 63) / 16) return false;
      value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    }
    return value >= 1 && value < (std::uint64_t{1} << 63);
  };
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (c == '"') {  // a string: to its closing quote, '\\' escaping the next character
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
        if (i < text.size() && text[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
      }
    } else if (c == '\'') {
      // A character literal: LLVM takes the next character ('\\' and one
      // more) and one more, its closing quote or not ('"a is an error, and
      // no string).
      const std::size_t stop = std::min(text.size(), i + (i + 1 < text.size() && text[i + 1] == '\\' ? 4 : 3));
      for (++i; i < stop; ++i)
        if (text[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
      --i;
    } else if (c == '#' || text.compare(i, 2, "//") == 0) {  // a comment to the line's end
      while (i + 1 < text.size() && text[i + 1] != '\n' && text[i + 1] != '\r') ++i;
    } else if (text.compare(i, 2, "/*") == 0) {
      const std::size_t close = text.find("*/", i + 2);
      const std::size_t stop = close == std::string::npos ? text.size() : close + 2;
      for (; i + 1 < stop; ++i)
        if (text[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
    } else {
      std::size_t divisor = std::string::npos;
      if (c == '/') {
        divisor = skip(i + 1);
      } else if (c == '%' &&
                 (intel || !(i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))))) {
        divisor = skip(i + 1);
      } else if (intel && (c == 'm' || c == 'M') && (i == 0 || !ident(i - 1)) && i + 3 <= text.size() &&
                 std::tolower(static_cast<unsigned char>(text[i + 1])) == 'o' &&
                 std::tolower(static_cast<unsigned char>(text[i + 2])) == 'd' && !ident(i + 3)) {
        divisor = skip(i + 3);
      } else if (ident(i)) {  // a whole word: no operator within it
        while (ident(i + 1)) ++i;
      }
      if (divisor != std::string::npos && !positive_literal(divisor))
        throw util::InputError({input, line, i - line_start},
                               "a division or modulo whose divisor is not a number from 1 to 2^63-1, where LLVM 19's "
                               "assembler may divide by zero or overflow (a trap): write the value");
    }
  }
}

// LLVM 19's Intel expression parser mishandles a unary operator ('~', '-',
// NOT) applied to another '~' or NOT: at the start of an operand ('~~3',
// '-~3', 'NOT NOT 3', '[~~3]') it pops an empty operator stack and dies in
// report_fatal_error ("SmallVector unable to grow"), which crash recovery
// turns into an input error that names no line and leaks what the unwound
// frames held (1,162 bytes per text: the block_text fuzzer); after a binary
// operator it gives a wrong value ('1+~~3' is -6, '2*~~3' 12, '1+-~3' -5).
// Such text is refused first, at its position; '~(~3)' parses right.
static void refuse_stacked_unary_operators(const std::string& text, const std::string& input) {
  // The characters of LLVM's identifiers (AsmLexer: '$', '?' and '@' too):
  // an instruction's name ends where LLVM's does ('a@b~~3' is the name
  // 'a@b' and the operand '~~3', not the name 'a' and a binary '~').
  auto word_char = [&](std::size_t i) {
    const char c = text[i];
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$' || c == '?' || c == '@';
  };
  auto is_not = [&](std::size_t i, std::size_t end) {  // the word NOT at i
    return i + 3 <= end && (i == 0 || !word_char(i - 1)) && std::tolower(text[i]) == 'n' &&
           std::tolower(text[i + 1]) == 'o' && std::tolower(text[i + 2]) == 't' && (i + 3 == end || !word_char(i + 3));
  };
  // LLVM's lexer skips NUL as it skips blanks, and ends a statement at '\r' as at '\n'.
  auto blank = [&](std::size_t i) { return text[i] == ' ' || text[i] == '\t' || text[i] == '\0'; };
  // Blanks and block comments ('~/* x */~3' is '~~3' to LLVM).
  auto skip_blanks = [&](std::size_t i, std::size_t end) {
    while (i < end) {
      if (blank(i)) {
        ++i;
      } else if (i + 1 < end && text[i] == '/' && text[i + 1] == '*') {
        const std::size_t close = text.find("*/", i + 2);
        i = close < end ? close + 2 : end;
      } else {
        break;
      }
    }
    return i;
  };
  static constexpr std::string_view kBefore = ",+-*/%&|^~([<>=!";  // what a unary operator follows
  std::size_t line = 1, line_start = 0;                            // lines end at '\n' alone (an error's position)
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find_first_of("\n\r", at), text.size());
    // Statements: ';' separates them in LLVM's x86 assembly. Comments are
    // scanned too: a '#' in a string or character literal ('.ascii "#"',
    // '\'#\'') or in a block comment begins none, and cutting the line there
    // let '1+~~3' through; an operator pair in a comment is refused instead.
    for (std::size_t statement = at; statement < end;) {
      const std::size_t stop = std::min(text.find(';', statement), end);
      std::size_t first = skip_blanks(statement, stop);
      std::size_t mnemonic_end = first;
      while (mnemonic_end < stop && word_char(mnemonic_end)) ++mnemonic_end;
      // Labels ("name:") before the statement's own first word.
      for (std::size_t colon = skip_blanks(mnemonic_end, stop);
           mnemonic_end > first && colon < stop && text[colon] == ':'; colon = skip_blanks(mnemonic_end, stop)) {
        first = skip_blanks(colon + 1, stop);
        for (mnemonic_end = first; mnemonic_end < stop && word_char(mnemonic_end);) ++mnemonic_end;
      }
      // A directive ('.' and a name) holds no instruction's expression; a
      // lone '.' (".~~0") is parsed by LLVM as an instruction's name.
      if (first + 1 < stop && text[first] == '.' &&
          (std::isalpha(static_cast<unsigned char>(text[first + 1])) || text[first + 1] == '_'))
        mnemonic_end = stop;
      std::size_t previous = std::string::npos;  // the last non-blank character after the mnemonic
      for (std::size_t i = mnemonic_end; i < stop; ++i) {
        if (blank(i)) continue;
        const bool op = text[i] == '~' || text[i] == '-' || is_not(i, stop);
        const bool unary = previous == std::string::npos || kBefore.find(text[previous]) != std::string_view::npos;
        if (op && unary) {
          const std::size_t next = skip_blanks(i + (text[i] == '~' || text[i] == '-' ? 1 : 3), stop);
          if (next < stop && (text[next] == '~' || is_not(next, stop)))
            throw util::InputError({input, line, i - line_start},
                                   "a unary operator applied to '~' or NOT in an Intel-syntax expression, which "
                                   "LLVM 19's assembler evaluates wrongly or dies on; write ~(~x) or -(~x)");
        }
        previous = i;
      }
      statement = stop + 1;
    }
    at = end + 1;
    if (end < text.size() && text[end] == '\n') {
      ++line;
      line_start = at;
    }
  }
}

BlockFile read_asm(const std::string& text, const std::string& input, std::optional<AsmSyntax> syntax) {
  refuse_unsafe_directives(text, input);
  refuse_deep_expressions(text, input);
  const X86Target& x86 = X86Target::get();
  const llvm::MCSubtargetInfo& sti = x86.all_features_subtarget();
  const AsmSyntax dialect = syntax.value_or(detect_asm_syntax(text));
  if (dialect == AsmSyntax::kIntel) refuse_stacked_unary_operators(text, input);
  refuse_trapping_divisions(text, input, dialect == AsmSyntax::kIntel);
  Assembly assembly(text, input, sti, dialect);
  if (assembly.crashed)
    throw util::InputError({input, 0}, "LLVM's assembler cannot handle this text" +
                                           (assembly.fatal.empty() ? std::string() : " (" + assembly.fatal + ")"));
  if (assembly.failed) {
    const Diagnostic& diag = assembly.error;
    if (!diag.set) throw util::InputError({input, 0}, "cannot parse assembly");
    throw util::InputError({input, diag.line, diag.column}, diag.message);
  }

  // Blocks: runs of lines separated by blank lines.
  std::vector<std::size_t> block_of_line{0};  // indexed by 1-based line
  {
    std::size_t block = 0;
    bool prev_blank = false, seen_text = false;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + start, end - start);
      bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
      if (!blank && prev_blank && seen_text) ++block;
      if (!blank) seen_text = true;
      prev_blank = blank;
      block_of_line.push_back(block);
      start = end + 1;
    }
  }
  auto line_of = [&](const llvm::MCInst& inst) { return assembly.position(inst); };

  std::map<std::size_t, std::vector<const llvm::MCInst*>> groups;
  for (const llvm::MCInst& inst : assembly.instructions) {
    std::size_t line = line_of(inst).first;
    groups[line < block_of_line.size() ? block_of_line[line] : block_of_line.back()].push_back(&inst);
  }

  BlockFile file;
  Decoder decoder;
  MachineCodeEncoder encoder;
  for (auto& [id, insts] : groups) {
    auto [first_line, first_col] = line_of(*insts.front());
    util::InputPosition block_start{input, first_line, first_col};
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < insts.size(); ++i) {
      const llvm::MCInst& inst = *insts[i];
      auto [line, col] = line_of(inst);
      bool last = i + 1 == insts.size();
      if (Decoder::is_control_flow(inst)) {
        if (!last)
          throw util::InputError({input, line, col}, "control flow inside the block: '" + format_instruction(inst) +
                                                         "' (a branch may only end a block)");
        file.notes.push_back(util::format_position({input, line, col}) + ": note: dropped the trailing branch '" +
                             format_instruction(inst) + "'");
        break;
      }
      std::string why;
      if (!encoder.encode(inst, &bytes, &why))
        throw util::InputError({input, line, col}, why + " (a basic block needs concrete operands)");
    }
    if (bytes.empty()) throw util::InputError(block_start, "empty block: it holds only a branch");
    // Decoding the encoded bytes gives the same canonical form as every other input.
    file.blocks.push_back(decoder.decode_block(std::move(bytes), input + ":" + std::to_string(first_line),
                                               BytePosition{block_start, 0}, &file.notes));
  }
  if (file.blocks.empty()) throw util::InputError({input, 0}, "no instructions found");
  return file;
}

}  // namespace surrogate::block
