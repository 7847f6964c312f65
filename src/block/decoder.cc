#include "block/decoder.h"

#include "block/x86_target.h"
#include "llvm/MC/MCContext.h"
#include "llvm/MC/MCDisassembler/MCDisassembler.h"
#include "llvm/Support/raw_ostream.h"
#include "util/hex.h"

namespace surrogate::block {

util::InputPosition BytePosition::at(std::size_t block_offset) const {
  util::InputPosition p = start;
  if (p.byte == static_cast<std::size_t>(-1)) p.byte = 0;
  p.byte += scale * block_offset;
  return p;
}

Decoder::Decoder() {
  const X86Target& x86 = X86Target::get();
  context_ =
      std::make_unique<llvm::MCContext>(x86.triple(), &x86.asm_info(), &x86.reg_info(), &x86.generic_subtarget());
  disassembler_.reset(x86.target().createMCDisassembler(x86.generic_subtarget(), *context_));
  if (!disassembler_) throw std::runtime_error("LLVM x86-64 disassembler unavailable");
  lock_prefix_opcode_ = static_cast<unsigned>(x86.find_opcode("LOCK_PREFIX"));
}

Decoder::~Decoder() = default;

bool Decoder::is_control_flow(const llvm::MCInst& inst) {
  const X86Target& x86 = X86Target::get();
  return x86.instr_analysis().mayAffectControlFlow(inst, x86.reg_info());
}

std::size_t Decoder::decode_instruction(const std::uint8_t* bytes, std::size_t size, std::uint64_t address,
                                        llvm::MCInst& inst) const {
  std::uint64_t length = 0;
  inst.clear();
  auto status =
      disassembler_->getInstruction(inst, length, llvm::ArrayRef<std::uint8_t>(bytes, size), address, llvm::nulls());
  if (status != llvm::MCDisassembler::Success || length == 0) return 0;
  if (inst.getOpcode() == lock_prefix_opcode_ && length < size) {
    // LLVM's disassembler gives `lock` as an instruction of its own; its
    // assembler (what llvm-mca reads) gives the locked instruction with a
    // flag. The latter: one instruction, as llvm-mca simulates it.
    llvm::MCInst locked;
    std::uint64_t locked_length = 0;
    status = disassembler_->getInstruction(locked, locked_length,
                                           llvm::ArrayRef<std::uint8_t>(bytes + length, size - length),
                                           address + length, llvm::nulls());
    if (status == llvm::MCDisassembler::Success && locked_length > 0 && locked.getOpcode() != lock_prefix_opcode_) {
      locked.setFlags(locked.getFlags() | kLockPrefixFlag);
      inst = locked;
      length += locked_length;
    }
  }
  inst.setOpcode(X86Target::get().canonical_opcode(inst.getOpcode()));
  return length;
}

BasicBlock Decoder::decode_block(std::vector<std::uint8_t> bytes, const std::string& name, const BytePosition& where,
                                 std::vector<std::string>* notes) const {
  if (bytes.empty()) throw util::InputError(where.at(0), "empty block");
  if (bytes.size() > kMaxBlockBytes)
    throw util::InputError(where.at(0), "block larger than " + std::to_string(kMaxBlockBytes) + " bytes (" +
                                            std::to_string(bytes.size()) +
                                            " bytes of machine code): not a basic block");
  BasicBlock block;
  block.name = name;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    llvm::MCInst inst;
    std::size_t length = decode_instruction(bytes.data() + offset, bytes.size() - offset, offset, inst);
    if (!length) {
      std::size_t n = std::min<std::size_t>(bytes.size() - offset, 4);
      throw util::InputError(where.at(offset),
                             "cannot decode an x86-64 instruction at block offset " + std::to_string(offset) +
                                 " (bytes " + util::to_hex({bytes.begin() + offset, bytes.begin() + offset + n}) + ")");
    }
    if (is_control_flow(inst) && offset + length < bytes.size())
      throw util::InputError(where.at(offset), "control flow inside the block: '" + format_instruction(inst) +
                                                   "' at block offset " + std::to_string(offset) +
                                                   " (a branch may only end a block)");
    block.offsets.push_back(static_cast<std::uint32_t>(offset));
    block.instructions.push_back(inst);
    offset += length;
  }
  if (is_control_flow(block.instructions.back())) {
    std::size_t at = block.offsets.back();
    if (notes)
      notes->push_back(util::format_position(where.at(at)) + ": note: dropped the trailing branch '" +
                       format_instruction(block.instructions.back()) + "'");
    block.instructions.pop_back();
    block.offsets.pop_back();
    block.dropped_branch.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.end());
    bytes.resize(at);
    if (block.instructions.empty()) throw util::InputError(where.at(0), "empty block: it holds only a branch");
  }
  block.bytes = std::move(bytes);
  return block;
}

}  // namespace surrogate::block
