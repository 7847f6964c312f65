#include "block/block_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "block/asm_reader.h"
#include "block/bhive_csv.h"
#include "block/x86_target.h"
#include "util/input_error.h"
#include "util/scratch_dir_test_support.h"

namespace surrogate::block {
namespace {

std::string write_temp(const std::string& name, const std::string& contents) {
  static const util::ScratchDir scratch("surrogate_block_");
  const std::string path = scratch.path(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

BlockFile csv(const std::string& text) {
  std::istringstream in(text);
  return read_bhive_csv(in, "t.csv");
}

std::string error_of(const std::string& text) {
  try {
    csv(text);
  } catch (const util::InputError& e) {
    return e.what();
  }
  return "no error";
}

std::string opcode(const llvm::MCInst& inst) { return X86Target::get().opcode_name(inst.getOpcode()); }

TEST(BhiveCsv, HeaderExtraColumnsAndThroughput) {
  BlockFile f = csv("hex,sources,throughput,may_alias\n4801d8,ffmpeg,123.5,0\n");
  ASSERT_EQ(f.blocks.size(), 1u);
  EXPECT_EQ(f.blocks[0].hex(), "4801d8");
  EXPECT_EQ(f.blocks[0].throughput, 123.5);
  EXPECT_EQ(f.blocks[0].extra_columns, (std::vector<std::string>{"ffmpeg", "0"}));
  EXPECT_EQ(f.extra_column_names, (std::vector<std::string>{"sources", "may_alias"}));
  EXPECT_EQ(opcode(f.blocks[0].instructions[0]), "ADD64rr");
}

TEST(BhiveCsv, NoHeaderNumericSecondColumnIsThroughput) {
  BlockFile f = csv("4801d8,100\n4801d8\n\n# comment\n4801d8,tensorflow\n");
  ASSERT_EQ(f.blocks.size(), 3u);
  EXPECT_EQ(f.blocks[0].throughput, 100.0);
  EXPECT_FALSE(f.blocks[1].throughput);
  EXPECT_EQ(f.blocks[2].extra_columns, (std::vector<std::string>{"tensorflow"}));
}

TEST(BhiveCsv, RevOpcodesAreCanonical) {
  // 33 d2 decodes as XOR32rr_REV; llvm-mca's parser sees XOR32rr (a zero idiom).
  BlockFile f = csv("33d2\n");
  EXPECT_EQ(opcode(f.blocks[0].instructions[0]), "XOR32rr");
}

TEST(BhiveCsv, TrailingBranchIsDroppedWithNote) {
  BlockFile f = csv("4801d875fa\n");  // add rax,rbx; jne -6
  ASSERT_EQ(f.blocks.size(), 1u);
  EXPECT_EQ(f.blocks[0].hex(), "4801d8");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_NE(f.notes[0].find("t.csv:1:7: note: dropped the trailing branch"), std::string::npos) << f.notes[0];
}

TEST(BhiveCsv, MalformedRowsNameLineAndByte) {
  EXPECT_EQ(error_of("4801d8\n48z1d8\n"), "t.csv:2:3: not a hex digit: 'z'");
  EXPECT_EQ(error_of("4801d\n"), "t.csv:1:6: odd number of hex digits (5)");
  EXPECT_EQ(error_of("4801d8\n,5\n"), "t.csv:2:1: empty block");
  EXPECT_NE(error_of("75fa4801d8\n").find("t.csv:1:1: control flow inside the block: 'jne"), std::string::npos)
      << error_of("75fa4801d8\n");
  EXPECT_NE(error_of("4801d8ffff\n").find("t.csv:1:7: cannot decode"), std::string::npos) << error_of("4801d8ffff\n");
  EXPECT_EQ(error_of("75fa\n"), "t.csv:1:1: empty block: it holds only a branch");
  EXPECT_EQ(error_of(std::string(2 * kMaxBlockBytes + 2, '9') + "\n"),
            "t.csv:1:1: block larger than 65536 bytes (65537 bytes): not a basic block");
  EXPECT_EQ(error_of("hex,throughput\n4801d8,abc\n"), "t.csv:2:8: throughput is not a non-negative number: 'abc'");
}

// The message of read_asm's InputError for `text` read as `name`; a failure
// (and "") if the text is read.
std::string refusal(const std::string& text, const std::string& name = "r.s") {
  try {
    read_asm(text, name);
  } catch (const util::InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "read: " << text;
  return "";
}

TEST(AsmReader, AttAndIntelGiveTheSameBytes) {
  BlockFile att = read_asm("addq %rbx, %rax\nvpaddd %zmm1, %zmm2, %zmm3 {%k1}\n", "a.s");
  BlockFile intel = read_asm("add rax, rbx\nvpaddd zmm3 {k1}, zmm2, zmm1\n", "i.s");
  ASSERT_EQ(att.blocks.size(), 1u);
  ASSERT_EQ(intel.blocks.size(), 1u);
  EXPECT_EQ(att.blocks[0].hex(), intel.blocks[0].hex());
  EXPECT_EQ(att.blocks[0].instructions.size(), 2u);
}

// llvm-mca reads MASM integer literals (LLVM's print-imm-hex-1.s test), so
// do we; GNU's 0x form keeps its meaning.
TEST(AsmReader, MasmIntegerLiteralsAsLlvmMcaReadsThem) {
  const std::string plain = read_asm("shl $5, %eax\nshl $10, %ebx\nshl $3, %ecx\n", "p.s").blocks.at(0).hex();
  EXPECT_EQ(read_asm("shl $5h, %eax\nshl $0xa, %ebx\nshl $11b, %ecx\n", "m.s").blocks.at(0).hex(), plain);
  EXPECT_EQ(read_asm(".intel_syntax noprefix\nshl eax, 5h\nshl ebx, 0ah\nshl ecx, 11b\n", "i.s").blocks.at(0).hex(),
            plain);
}

TEST(AsmReader, BlankLinesSeparateBlocksAndTrailingBranchDrops) {
  BlockFile f = read_asm("loop:\n  addq $1, %rax\n  jne loop\n\n\n  xorl %eax, %eax # zero\n", "b.s");
  ASSERT_EQ(f.blocks.size(), 2u);
  EXPECT_EQ(f.blocks[0].instructions.size(), 1u);
  EXPECT_EQ(f.blocks[0].name, "b.s:2");
  EXPECT_EQ(f.blocks[1].name, "b.s:6");
  EXPECT_EQ(f.notes.size(), 1u);
}

// A block file is untrusted: directives that read other files are refused
// (.include would show another file's first line in the error message),
// wherever LLVM would begin a statement, and so are those that expand text
// (a macro argument spells `.inc\a` into `.include`; these texts read
// /etc/hostname before).
TEST(AsmReader, DirectivesThatReadFilesAreRefused) {
  // After ';', '\r', labels (quoted too) and block comments: LLVM reads each as a statement of its own.
  for (const char* text : {"addq %rbx, %rax\n  .include \"/etc/hostname\"\n", "\t.INCBIN \"/etc/hostname\"\n",
                           "nop; .include \"/etc/hostname\"\n", "nop\r.include \"/etc/hostname\"\n",
                           "x: .include \"/etc/hostname\"\n", "x:y:\t.incbin \"/etc/hostname\"\n",
                           "nop\n/* x */ .include \"/etc/hostname\"\n", "nop /* a\n b */.include \"/etc/hostname\"\n",
                           "\"a b\": .include \"/etc/hostname\"\n", ".include/**/\"/etc/hostname\"\n"})
    EXPECT_NE(refusal(text).find("reads another file: not allowed"), std::string::npos) << text;
  for (const char* text :
       {".macro m a\n.inc\\a \"/etc/hostname\"\n.endm\nm lude\n", ".irp x,lude\n.inc\\x \"/etc/hostname\"\n.endr\n",
        "nop\n .IRPC x,l\n.inc\\x\\()ude \"/etc/hostname\"\n.endr\n"})
    EXPECT_NE(refusal(text).find("expands text: not allowed"), std::string::npos) << text;
  // CRLF line ends: the position of the line
  EXPECT_EQ(refusal("nop\r\nnop\r\n  .include \"/etc/hostname\"\r\n", "c.s").rfind("c.s:3:3: ", 0), 0u);
  EXPECT_EQ(refusal("nop\n  nop; .irp x,a\nnop\n.endr\n", "p.s").rfind("p.s:2:8: '.irp' expands text", 0), 0u);
  // .print wrote "0f0b,1,injected" to standard output, into `simulate -o -`'s CSV;
  // `.ds.b 10000000` took 1.3 s and 286 MB (one value at a time).
  EXPECT_EQ(refusal("nop\n.print \"0f0b,1,injected\"\n", "o.s"),
            "o.s:2:1: '.print' writes to standard output: not allowed in a block file");
  for (const char* text : {"nop\n.ds.b 1000000000\n", ".DS 5\n", "nop; .ds.l 3\n"})
    EXPECT_NE(refusal(text).find("emits its count's values one by one"), std::string::npos) << text;
  // Words that merely contain one are other identifiers.
  EXPECT_EQ(read_asm("x.include:\nnop\n", "w.s").blocks.size(), 1u);
}

// `.rept` can make one block of megabytes of code in a few bytes of text:
// like a CSV field, a block over kMaxBlockBytes is refused, at its start.
// And before LLVM expands it: a count that is no number, or repetitions
// over 65,536 in all (`.rept 100000000` expanded for minutes), are refused.
TEST(AsmReader, HugeBlocksAreRefused) {
  EXPECT_EQ(refusal("addq %rbx, %rax\n.rept 100000\naddq %rcx, %rdx\n.endr\n", "r.s")
                .rfind("r.s:2:1: '.rept' needs a number as its count, and at most 65536", 0),
            0u);
  try {
    read_asm("addq %rbx, %rax\n.rept 30000\naddq %rcx, %rdx\n.endr\n", "r.s");
    FAIL() << "a block of 90,003 bytes was read";
  } catch (const util::InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "r.s:1:1: block larger than 65536 bytes (90003 bytes of machine code): not a basic block");
  }
  for (const char* text :
       {"nop\n.rept 100000000\nnop\n.endr\n", ".rept 1 << 30\nnop\n.endr\n", ".rept 300\n.rep 300\nnop\n.endr\n.endr\n",
        ".rept n\nnop\n.endr\n", ".rept 99999999999999999999999999\nnop\n.endr\n", ".rept\nnop\n.endr\n"})
    EXPECT_NE(refusal(text).find("needs a number as its count"), std::string::npos) << text;
  EXPECT_EQ(read_asm(".rept 1000\naddq %rcx, %rdx\n.endr\n", "ok.s").blocks[0].instructions.size(), 1000u);
  EXPECT_EQ(read_asm(".rept 4 # unrolled\n.rep 3;addq %rcx, %rdx;.endr\n.endr\n", "ok.s").blocks[0].instructions.size(),
            12u);
}

// LLVM's AT&T expression parser recurses per parenthesis, unary operator
// and chained binary operator: 20,000 '(' killed the process (stack
// overflow). A line of more than 2,000 operator characters is refused at
// the one past the limit; 900 nested parentheses parse.
TEST(AsmReader, ExpressionsDeepEnoughToOverflowTheStackAreRefused) {
  for (const std::string& deep :
       {std::string(20000, '(') + "1" + std::string(20000, ')'), std::string(30000, '-') + "1", "1" + [] {
          std::string chain;
          for (int i = 0; i < 100000; ++i) chain += "+1";
          return chain;
        }()}) {
    const std::string message = refusal("nop\n  addq $" + deep + ", %rax\n", "d.s");
    EXPECT_EQ(message.rfind("d.s:2:", 0), 0u) << message;
    EXPECT_NE(message.find("more than 2000 operators on one line"), std::string::npos) << message;
  }
  const std::string fine = "addq $" + std::string(900, '(') + "1" + std::string(900, ')') + ", %rax\n";
  EXPECT_EQ(read_asm(fine + fine, "ok.s").blocks.at(0).hex(), "4883c0014883c001");
}

// LLVM 19 divides constants unchecked where x86 division traps (Intel x/0,
// x%0, x MOD 0; INT64_MIN/-1 in both dialects): SIGFPE, which crash
// recovery turned into an unpositioned error leaking the operands (the
// block_text fuzzer). A divisor must be a number literal from 1 to 2^63-1;
// strings, character literals and comments are not expressions.
TEST(AsmReader, DivisionsThatTrapAreRefused) {
  for (const std::string& text : std::vector<std::string>{
           "addq $(-9223372036854775807-1)/-1, %rax\n", "addq $(-9223372036854775807-1)%-1, %rax\n",
           ".intel_syntax noprefix\nadd rax, 5/(1-1)\n", ".intel_syntax noprefix\nadd rax, 5 mod 0\n",
           ".intel_syntax noprefix\nadd rax, 5 % 0\n", "addq $8/0x8000000000000000, %rax\n",
           ".intel_syntax noprefix\nadd rax, 1/ /* x */ 0\n", "addq $5/(1-1), %rax\n",
           // A multi-line string before it: LLVM's strings span lines.
           "a\"g\n7\n\"/0\n",
           // Intel has no '%' registers: '%0' and '%x' are modulo.
           ".intel_syntax noprefix\nadd rax, 5 %0\n",
           // A quote that starts no string: LLVM's character literal takes it.
           "movb $'\"a, %al\naddq $(-9223372036854775807-1)/-1, %rax\n\"\n",
           ".intel_syntax noprefix\n.set x, 0\nadd rax, 5 %x\n"})
    EXPECT_NE(refusal(text).find("a division or modulo whose divisor is not a number"), std::string::npos) << text;
  EXPECT_EQ(refusal(".intel_syntax noprefix\nadd rax, 5/(1-1)\n", "p.s").rfind("p.s:2:11: ", 0), 0u);
  for (const auto& [text, hex] : std::vector<std::pair<std::string, std::string>>{
           {".intel_syntax noprefix\nadd rax, 8/2\n", "4883c004"},
           {"addq $8/2, %rax\n", "4883c004"},
           {".intel_syntax noprefix\nadd rax, 16 mod 0x3\n", "4883c001"},
           {".intel_syntax noprefix\nadd rax, 9 % 0ah\n", "4883c009"},
           {".file 1 \"/usr/include/x/0\"\naddq %rax, %rbx # x/0 and 1%0\n", "4801c3"},
           {"movb $'/', %al /* /0 */\n", "b02f"},
           {".intel_syntax noprefix\nmov rax, [rbx + rcx*8] // 1/0\n", "488b04cb"}})
    EXPECT_EQ(read_asm(text, "ok.s").blocks.at(0).hex(), hex) << text;
}

// A unary operator applied to '~' or NOT in Intel syntax kills LLVM 19's
// expression parser at an operand's start (report_fatal_error) and gives a
// wrong value elsewhere; it is refused at its position. One unary operator
// after a binary one, parentheses, and AT&T syntax parse right.
TEST(AsmReader, StackedUnaryOperatorsOfIntelExpressionsAreRefusedAtTheirPosition) {
  for (const std::string& text : std::vector<std::string>{
           ".intel_syntax noprefix\nadd rax, ~~3\n", ".intel_syntax noprefix\nadd rax, -~3\n",
           ".intel_syntax noprefix\nadd rax, [~ ~3]\n", ".intel_syntax noprefix\nadd rax, not NOT 3\n",
           ".intel_syntax noprefix\nadd rax, (~not 3)\n", ".intel_syntax noprefix\nadd rax, 1+~~3\n",
           ".intel_syntax noprefix\nadd rax, 1+-~3\n", ".intel_syntax noprefix\nadd rax, [rbx+~~3]\n", "fc~~11\n",
           ".intel_syntax noprefix\nadd rax, 1; not ~~3\n",  // ';' separates statements
           ".~~0\n", ".intel_syntax\n. ~~0\n",               // a lone '.' is an instruction's name, no directive
           ".intel_syntax\nx: add rax, ~~3\n", ".intel_syntax\nx:y: ~~3\n",              // after labels
           std::string(".intel_syntax\nx") + std::string(2, '\0') + ": add rax, ~~3\n",  // NUL: a blank
           ".intel_syntax\nadd rax, 1\r~~3\n",                                           // '\r' ends a statement
           // A '#' that begins no comment: LLVM evaluated 1+~~3 to -6 after these.
           ".intel_syntax noprefix\n.ascii \"#\"; add rax, ~~3\n",
           ".intel_syntax noprefix\nadd rax, 1 /* # */ ; add rax, 1+~~3\n",
           ".intel_syntax noprefix\nmov al, '#'; add rax, 1+~~3\n",
           // In a comment too: a refusal rather than a miss.
           ".intel_syntax noprefix\nadd rax, 1 # or 2, ~~3\n",
           // A block comment between the two: 1+~/**/~3 was -6 too.
           ".intel_syntax noprefix\nadd rax, 1+~/**/~3\n", ".intel_syntax noprefix\nadd rax, -/* x */not 3\n",
           // Names with LLVM's other identifier characters (the fuzzer's leak: the first).
           "fbbbbb@bbbbbbbbbvob~~x\n", ".intel_syntax\na$b ~~3\n", ".intel_syntax\na?b~~3\n"}) {
    const std::string message = refusal(text, "u.s");
    EXPECT_NE(message.find("a unary operator applied to '~' or NOT"), std::string::npos) << text;
    EXPECT_EQ(message.rfind("u.s:", 0), 0u) << message;
  }
  EXPECT_EQ(refusal(".intel_syntax noprefix\nadd rax, ~~3\n", "p.s").rfind("p.s:2:10: ", 0), 0u);
  // CRLF line ends: the same position
  EXPECT_EQ(refusal(".intel_syntax noprefix\r\nadd rax, ~~3\r\n", "p.s").rfind("p.s:2:10: ", 0), 0u);
  for (const auto& [text, hex] : std::vector<std::pair<std::string, std::string>>{{"add rax, ~(~3)", "4883c003"},
                                                                                  {"add rax, 1+~(~3)", "4883c004"},
                                                                                  {"add rax, 5 - ~3", "4883c009"},
                                                                                  {"add rax, 1+~3", "4883c0fd"},
                                                                                  {"add rax, ~-3", "4883c002"},
                                                                                  {"add rax, NOT -3", "4883c002"},
                                                                                  {"add rax, [rbx+~(~3)]", "48034303"}})
    EXPECT_EQ(read_asm(".intel_syntax noprefix\n" + text + "\n", "ok.s").blocks.at(0).hex(), hex) << text;
  EXPECT_EQ(read_asm("addq $~~1, %rax\n", "ok.s").blocks.at(0).hex(), "4883c001");
  EXPECT_EQ(read_asm(".intel_syntax noprefix\nadd rax, 1 # not ~3, ~-3\n", "ok.s").blocks.at(0).hex(), "4883c001");
  EXPECT_EQ(read_asm(".intel_syntax noprefix\nx: add rax, ~(~3)\n", "ok.s").blocks.at(0).hex(), "4883c003");
}

TEST(AsmReader, ErrorsNameLineAndColumn) {
  // An error the streamer reports through LLVM's context, not its parser:
  // LLVM printed it to stderr in three lines and ours said only "cannot parse".
  testing::internal::CaptureStderr();
  EXPECT_EQ(refusal("nop\n.cfi_escape 1\n", "f.s"),
            "f.s:2:1: this directive must appear between .cfi_startproc and .cfi_endproc directives");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  try {
    read_asm("addq %rbx, %rax\n  bogus %rax\n", "c.s");
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().line, 2u);
    EXPECT_EQ(std::string(e.what()).rfind("c.s:2:3: ", 0), 0u) << e.what();
  }
  try {
    read_asm("jmp 1f\naddq %rbx, %rax\n1:\n", "d.s");
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("d.s:1:1: control flow inside the block"), std::string::npos) << e.what();
  }
  try {
    read_asm("movq foo(%rip), %rax\n", "e.s");
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("refers to a symbol"), std::string::npos) << e.what();
  }
}

TEST(ElfReader, SplitsTextAtControlFlowAndNamesBySymbol) {
  std::string src =
      write_temp("elf.s",
                 ".text\n.globl f\nf:\n  addq %rbx, %rax\n  imulq %rcx, %rax\n  jne 1f\n"
                 "  subq $1, %rdx\n1:\n  xorl %eax, %eax\n  ret\n.globl g\ng:\n  movq (%rdi), %rax\n  ret\n");
  std::string obj = src + ".o";
  ASSERT_EQ(std::system(("cc -c -o " + obj + " " + src).c_str()), 0);
  std::vector<BasicBlock> blocks = read_blocks(obj);
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0].name, obj + ":f+0x0");
  EXPECT_EQ(blocks[0].instructions.size(), 2u);  // add, imul; jne dropped
  EXPECT_EQ(blocks[1].instructions.size(), 1u);  // sub (ends at the branch target)
  EXPECT_EQ(blocks[2].instructions.size(), 1u);  // xor; ret dropped
  EXPECT_EQ(blocks[3].name, obj + ":g+0x0");
}

// With liveness asked for, each block says what is live after it, from the
// section's control flow; a relocated branch (to a symbol of another object)
// has an unknown target, so everything is live there.
TEST(ElfReader, BlocksCarryTheirLiveRegistersFromControlFlow) {
  std::string src = write_temp("live.s",
                               ".text\n.globl f\nf:\n  movq %rbx, %rdi\n  addq $1, %r11\n  jne elsewhere\n"
                               "  movl $1, %eax\n  addq %rcx, %rdx\n  ret\n");
  std::string obj = src + ".o";
  ASSERT_EQ(std::system(("cc -c -o " + obj + " " + src).c_str()), 0);
  EXPECT_FALSE(read_blocks(obj)[0].live_out);  // not asked for
  ReadOptions options;
  options.liveness = true;
  const std::vector<BasicBlock> blocks = read_block_file(obj, options).blocks;
  ASSERT_EQ(blocks.size(), 2u);
  ASSERT_TRUE(blocks[0].live_out && blocks[1].live_out);
  EXPECT_EQ(*blocks[0].live_out, LiveRegisters{});  // before the relocated jne: all
  const LiveRegisters& before_ret = *blocks[1].live_out;
  EXPECT_FALSE(before_ret.flags);
  EXPECT_EQ(before_ret.gprs & 0x0F, 0b1101);  // rax, rdx (results), rbx (callee-saved); not rcx
  EXPECT_EQ(before_ret.gprs & (1 << 11), 0);  // r11
  EXPECT_EQ(before_ret.xmms, 0b11);           // xmm0, xmm1
}

// A stripped shared library keeps only its dynamic symbol table: blocks are
// named from it (Debian's libc.so.6: abort+0x2a6, not .text+0x2c5).
TEST(ElfReader, StrippedSharedLibraryNamesBlocksByDynamicSymbols) {
  std::string src = write_temp("dyn.s",
                               ".text\n.globl exported\n.type exported,@function\nexported:\n  addq %rbx, %rax\n"
                               "  ret\n.globl second\n.type second,@function\nsecond:\n  imulq %rcx, %rax\n  ret\n");
  std::string so = src + ".so";
  ASSERT_EQ(std::system(("cc -shared -nostdlib -o " + so + " " + src + " && strip " + so).c_str()), 0);
  std::vector<BasicBlock> blocks = read_blocks(so);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].name, so + ":exported+0x0");
  EXPECT_EQ(blocks[1].name, so + ":second+0x0");
}

// A symbol table whose header claims 2^44 bytes (issue 13: hours in LLVM's
// symbol walk) is one line naming the file, at once.
TEST(ElfReader, SymbolTableLargerThanTheFileIsAnError) {
  std::string src = write_temp("lying.s", ".text\n.globl f\nf:\n  addq %rbx, %rax\n  ret\n");
  std::string obj = src + ".o";
  ASSERT_EQ(std::system(("cc -c -o " + obj + " " + src).c_str()), 0);
  std::string bytes;
  {
    std::ifstream in(obj, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto u64 = [&](std::size_t at) {
    std::uint64_t v;
    std::memcpy(&v, bytes.data() + at, 8);
    return v;
  };
  auto u16 = [&](std::size_t at) {
    std::uint16_t v;
    std::memcpy(&v, bytes.data() + at, 2);
    return v;
  };
  const std::uint64_t shoff = u64(0x28);
  bool patched = false;
  for (std::uint16_t i = 0; i < u16(0x3C); ++i) {
    const std::size_t header = shoff + std::size_t{i} * u16(0x3A);
    std::uint32_t type;
    std::memcpy(&type, bytes.data() + header + 4, 4);
    if (type != 2) continue;  // SHT_SYMTAB
    const std::uint64_t huge = std::uint64_t{1} << 44;
    std::memcpy(bytes.data() + header + 0x20, &huge, 8);  // sh_size
    patched = true;
  }
  ASSERT_TRUE(patched);
  { std::ofstream(obj, std::ios::binary | std::ios::trunc) << bytes; }
  try {
    read_blocks(obj);
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("symbol table of 17592186044416 bytes"), std::string::npos) << e.what();
  }
}

TEST(BlockReader, DetectsFormatsAndReportsMissingFiles) {
  EXPECT_EQ(read_blocks(write_temp("x.hex", "4801d8\n")).size(), 1u);
  EXPECT_EQ(read_blocks(write_temp("x.s", "\taddq %rbx, %rax\n")).size(), 1u);
  try {
    read_blocks("/nonexistent/blocks.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/blocks.csv: cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace surrogate::block
