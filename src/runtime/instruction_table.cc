#include "runtime/instruction_table.h"

#include <cstring>

#include "block/dependencies.h"
#include "block/tokenizer.h"
#include "block/x86_target.h"

namespace surrogate::runtime {

InstructionTable::InstructionTable(const block::Vocabulary& vocabulary, bool with_dataflow)
    : vocabulary_(vocabulary),
      with_dataflow_(with_dataflow),
      slots_(1 << 15),
      lengths_(1 << 16, 0),
      pairs_(1 << 16, 0),
      single_(256, 0) {}

std::size_t InstructionTable::start(const std::uint8_t* bytes) {
  std::uint32_t v = (bytes[0] | bytes[1] << 8 | bytes[2] << 16) * 0x9E3779B1u;
  return v >> 16;
}

std::uint32_t InstructionTable::lookup(const Key& k) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = InstructionBytesHash()(k) & mask;; i = (i + 1) & mask) {
    if (slots_[i].key == k) return slots_[i].id;
    if (slots_[i].key.empty()) return UINT32_MAX;
  }
}

void InstructionTable::insert(const Key& k, std::size_t length, const std::uint8_t* bytes, std::uint32_t id) {
  if (8 * (used_ + 1) > 5 * slots_.size()) {  // at most 5/8 full
    std::vector<Slot> slots(2 * slots_.size());
    const std::size_t mask = slots.size() - 1;
    for (const Slot& slot : slots_) {
      if (slot.key.empty()) continue;
      std::size_t i = InstructionBytesHash()(slot.key) & mask;
      while (!slots[i].key.empty()) i = (i + 1) & mask;
      slots[i] = slot;
    }
    slots_.swap(slots);
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = InstructionBytesHash()(k) & mask;
  while (!slots_[i].key.empty()) {
    if (slots_[i].key == k) return;
    i = (i + 1) & mask;
  }
  slots_[i] = {k, id};
  ++used_;
  if (length == 1)
    single_[bytes[0]] = 1;
  else if (length == 2)
    pairs_[bytes[0] | bytes[1] << 8] = 1;
  else
    lengths_[start(bytes)] |= static_cast<std::uint16_t>(1u << length);
}

bool InstructionTable::find(const std::uint8_t* bytes, std::size_t size, std::uint32_t* id, std::size_t* length) const {
  auto probe = [&](std::size_t l) {
    std::uint32_t v = lookup(Key::of(bytes, l));
    if (v == UINT32_MAX) return false;
    *id = v;
    *length = l;
    return true;
  };
  if (single_[bytes[0]] && probe(1)) return true;
  if (size < 2) return false;
  if (pairs_[bytes[0] | bytes[1] << 8] && probe(2)) return true;
  if (size < 3) return false;
  const unsigned mask = lengths_[start(bytes)];
  for (std::size_t l = 3; l <= size && (mask >> l); ++l)
    if ((mask >> l & 1) && probe(l)) return true;
  return false;
}

bool InstructionTable::is_prefix(const llvm::MCInst& inst) {
  // LOCK_PREFIX, REP_PREFIX, DATA16_PREFIX, ...: what follows may change how they decode.
  return block::X86Target::get().instr_info().getName(inst.getOpcode()).ends_with("_PREFIX");
}

// The tokenizer's input, immediates bucketed no coarser than it buckets them
// (block/tokenizer.h: immediates -1..8 exact, else by signed width; memory
// scales 1..8 exact; displacements 0 / 8-bit / wider): equal shapes, equal
// tokens. Fixed-size (no allocation per lookup): opcode, flags and operand
// count, then 32 bits an operand: kind in the top two bits, register number
// or immediate bucket below. false for an instruction that does not fit
// (more than kShapeOperands operands, or operands of other kinds).
bool InstructionTable::shape_of(const llvm::MCInst& inst, Shape* shape) {
  if (inst.getNumOperands() > kShapeOperands) return false;
  *shape = Shape{};
  shape->word[0] =
      inst.getOpcode() | std::uint64_t{inst.getFlags() & 0xFFFF} << 32 | std::uint64_t{inst.getNumOperands()} << 48;
  for (unsigned i = 0; i < inst.getNumOperands(); ++i) {
    const llvm::MCOperand& op = inst.getOperand(i);
    std::uint32_t code;
    if (op.isReg()) {
      code = 1u << 30 | (op.getReg() & 0x3FFFFFFF);
    } else if (op.isImm()) {
      const std::int64_t v = op.getImm();
      const std::uint32_t bucket = v >= -1 && v <= 8                  ? static_cast<std::uint32_t>(v + 1)
                                   : v >= INT8_MIN && v <= INT8_MAX   ? 10
                                   : v >= INT16_MIN && v <= INT16_MAX ? 11
                                   : v >= INT32_MIN && v <= INT32_MAX ? 12
                                                                      : 13;
      code = 2u << 30 | bucket;
    } else if (op.isSFPImm() || op.isDFPImm()) {
      code = 3u << 30;
    } else {
      return false;
    }
    shape->word[1 + i / 2] |= std::uint64_t{code} << (32 * (i % 2));
  }
  return true;
}

std::size_t InstructionTable::ShapeHash::operator()(const Shape& s) const {
  std::uint64_t h = 0;
  for (std::uint64_t w : s.word) {  // MurmurHash3's finaliser over a running mix
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 33;
  }
  h *= 0xc4ceb9fe1a85ec53ull;
  return static_cast<std::size_t>(h ^ (h >> 33));
}

std::uint32_t InstructionTable::id_of(const llvm::MCInst& inst, bool* known) {
  Shape shape;
  if (!shape_of(inst, &shape)) return id_of_tokens(inst, known);
  if (auto it = by_shape_.find(shape); it != by_shape_.end()) {
    *known = true;
    return it->second;
  }
  std::uint32_t id = id_of_tokens(inst, known);
  by_shape_.emplace(shape, id);
  return id;
}

std::uint32_t InstructionTable::id_of_tokens(const llvm::MCInst& inst, bool* known) {
  encoder_.encode(inst, &ids_);
  key_.assign(reinterpret_cast<const char*>(ids_.data()), ids_.size() * sizeof(std::int32_t));
  block::InstructionDataflow dataflow;
  if (with_dataflow_) {
    // Tokens unknown to the vocabulary (<unk>) may hide different registers:
    // the dataflow is part of what makes an instruction distinct.
    dataflow = block::dataflow_of(inst);
    key_.append(reinterpret_cast<const char*>(&dataflow.reads), 3 * sizeof(std::uint64_t));
    key_.push_back(dataflow.loads ? 1 : 0);
  }
  // absl's own string_view (Debian's abseil is not built on std::string_view).
  auto [it, added] = by_tokens_.try_emplace(absl::string_view(key_), static_cast<std::uint32_t>(tokens_.size()));
  if (added) {
    tokens_.push_back(ids_);
    if (with_dataflow_) dataflow_.push_back(dataflow);
  }
  *known = !added;
  return it->second;
}

bool InstructionTable::split(const std::uint8_t* bytes, std::size_t size, std::vector<std::uint32_t>* ids,
                             std::vector<std::uint32_t>* offsets) {
  if (size == 0) return false;
  const std::size_t first_id = ids->size(), first_offset = offsets ? offsets->size() : 0;
  std::uint64_t byte_hits = 0, token_hits = 0, fresh = 0;
  std::size_t offset = 0;
  while (offset < size) {
    std::uint32_t id;
    std::size_t length;
    if (find(bytes + offset, size - offset, &id, &length)) {
      ++byte_hits;
    } else {
      llvm::MCInst inst;
      length = decoder_.decode_instruction(bytes + offset, size - offset, offset, inst);
      if (!length || length > 15 || block::Decoder::is_control_flow(inst)) {
        ids->resize(first_id);
        if (offsets) offsets->resize(first_offset);
        return false;
      }
      bool known;
      id = id_of(inst, &known);
      (known ? token_hits : fresh) += 1;
      // A prefix decoded alone (LOCK_PREFIX, ...) is decoded here every time.
      if (!is_prefix(inst)) insert(Key::of(bytes + offset, length), length, bytes + offset, id);
    }
    ids->push_back(id);
    if (offsets) offsets->push_back(static_cast<std::uint32_t>(offset));
    offset += length;
  }
  byte_hits_ += byte_hits;
  token_hits_ += token_hits;
  new_instructions_ += fresh;
  return true;
}

void InstructionTable::encode(const block::BasicBlock& block, std::vector<std::uint32_t>* ids) {
  const bool keyed = block.offsets.size() == block.instructions.size();
  for (std::size_t i = 0; i < block.instructions.size(); ++i) {
    const llvm::MCInst& inst = block.instructions[i];
    Key k;
    std::size_t begin = 0, length = 0;
    if (keyed) {
      begin = block.offsets[i];
      std::size_t end = i + 1 < block.offsets.size() ? block.offsets[i + 1] : block.bytes.size();
      if (begin < end && end <= block.bytes.size() && end - begin <= 15) {
        length = end - begin;
        k = Key::of(block.bytes.data() + begin, length);
        if (std::uint32_t v = lookup(k); v != UINT32_MAX) {
          ++byte_hits_;
          ids->push_back(v);
          continue;
        }
      }
    }
    bool known;
    std::uint32_t id = id_of(inst, &known);
    (known ? token_hits_ : new_instructions_) += 1;
    // Only what split() may rely on: plain instructions.
    if (length && !block::Decoder::is_control_flow(inst) && !is_prefix(inst))
      insert(k, length, block.bytes.data() + begin, id);
    ids->push_back(id);
  }
}

}  // namespace surrogate::runtime
