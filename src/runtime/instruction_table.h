// InstructionTable: machine code -> the model's distinct instructions (token-id
// sequences), with LLVM's disassembler only for bytes not seen before.
//
// An instruction's tokens are a function of its bytes, and decoding reads an
// instruction's bytes and nothing after them (x86 encodings are prefix-free):
// bytes that once decoded to an instruction of length L always decode to it,
// with length L, wherever they stand. So the table splits a block into
// instructions by looking its bytes up (the lengths seen for the first three
// bytes, then one hash probe each; the known byte strings are prefix-free, at
// most one matches), and decodes only new bytes, and tokenizes only new
// instruction shapes (the decoded instruction with its immediates bucketed
// as the tokenizer buckets them, or finer). A prefix that
// LLVM decodes as an instruction of its own (LOCK_PREFIX: how it decodes may
// depend on what follows) is never looked up, always decoded.
//
// split() never guesses: for anything but a block of bytes that decode, none
// of them control flow (code that does not decode, a branch, an empty block)
// it gives up, and the caller
// decodes the block with Decoder::decode_block (same block, errors and notes
// as ever) and hands it to encode().
//
// Ids are dense (0 .. size()-1) and stable; not thread-safe while adding, safe
// to read (tokens()) from many threads while nobody adds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "block/basic_block.h"
#include "block/decoder.h"
#include "block/dependencies.h"
#include "block/instruction_encoder.h"
#include "block/vocabulary.h"
#include "runtime/instruction_bytes.h"

namespace surrogate::runtime {

class InstructionTable {
 public:
  // The vocabulary is copied (ids are the model's). With `with_dataflow`,
  // each instruction's dataflow (block/dependencies.h) is kept beside its
  // tokens, and instructions of equal tokens but another dataflow are distinct.
  explicit InstructionTable(const block::Vocabulary& vocabulary, bool with_dataflow = false);
  InstructionTable(const InstructionTable&) = delete;  // encoder_ points at vocabulary_
  InstructionTable& operator=(const InstructionTable&) = delete;

  // Appends the ids of the instructions of the block whose machine code is
  // bytes[0, size) to *ids and their byte offsets to *offsets (unless null),
  // and returns true; or returns false, leaving both as they were, when the
  // block needs the full decoder (see above).
  bool split(const std::uint8_t* bytes, std::size_t size, std::vector<std::uint32_t>* ids,
             std::vector<std::uint32_t>* offsets);
  // Appends the ids of a decoded block's instructions to *ids.
  void encode(const block::BasicBlock& block, std::vector<std::uint32_t>* ids);

  // Distinct instructions (token-id sequences) so far.
  std::size_t size() const { return tokens_.size(); }
  // The model's token ids of instruction `id`.
  const std::vector<std::int32_t>& tokens(std::uint32_t id) const { return tokens_[id]; }
  // Its dataflow (only with_dataflow).
  const block::InstructionDataflow& dataflow(std::uint32_t id) const { return dataflow_[id]; }
  const block::Decoder& decoder() const { return decoder_; }

  // Instructions of the blocks split or encoded so far: found by their
  // bytes, new bytes with known tokens, new tokens (the three add up to the
  // instructions).
  std::uint64_t byte_hits() const { return byte_hits_; }
  std::uint64_t token_hits() const { return token_hits_; }
  std::uint64_t new_instructions() const { return new_instructions_; }

 private:
  using Key = InstructionBytes;

  // The id of the known instruction at the start of bytes[0, size) and its length, or false.
  bool find(const std::uint8_t* bytes, std::size_t size, std::uint32_t* id, std::size_t* length) const;
  // Exact lookup; UINT32_MAX if absent.
  std::uint32_t lookup(const Key& k) const;
  void insert(const Key& k, std::size_t length, const std::uint8_t* bytes, std::uint32_t id);
  // The id of an instruction, by its shape (the tokenizer's input with
  // immediates bucketed) or else its tokens; *known: seen before.
  std::uint32_t id_of(const llvm::MCInst& inst, bool* known);
  std::uint32_t id_of_tokens(const llvm::MCInst& inst, bool* known);
  static bool is_prefix(const llvm::MCInst& inst);

  block::Vocabulary vocabulary_;
  block::InstructionEncoder encoder_{vocabulary_};
  std::vector<std::int32_t> ids_;  // scratch
  block::Decoder decoder_;
  std::vector<std::vector<std::int32_t>> tokens_;  // by id
  bool with_dataflow_;
  std::vector<block::InstructionDataflow> dataflow_;           // by id, when with_dataflow_
  std::string key_;                                            // scratch: a by_tokens_ key
  absl::flat_hash_map<std::string, std::uint32_t> by_tokens_;  // key: the token ids' bytes (then the dataflow's)
  static constexpr unsigned kShapeOperands = 12;
  struct Shape {
    std::uint64_t word[1 + kShapeOperands / 2] = {};
    bool operator==(const Shape&) const = default;
  };
  struct ShapeHash {
    std::size_t operator()(const Shape& s) const;
  };
  static bool shape_of(const llvm::MCInst& inst, Shape* shape);
  absl::flat_hash_map<Shape, std::uint32_t, ShapeHash> by_shape_;
  // Open addressing, linear probing; size a power of two, at most 5/8 full.
  struct Slot {
    Key key;
    std::uint32_t id = 0;
  };
  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  // Lengths of the known instructions by how they start: bit L of
  // lengths_[start(bytes)] set if one of L >= 3 bytes starts with these three
  // (hashed: a collision only costs a probe); pairs_ / single_: 1 if these
  // two bytes / this byte alone are one.
  static std::size_t start(const std::uint8_t* bytes);  // 0 .. 65535
  std::vector<std::uint16_t> lengths_;
  std::vector<std::uint8_t> pairs_;
  std::vector<std::uint8_t> single_;
  std::uint64_t byte_hits_ = 0, token_hits_ = 0, new_instructions_ = 0;
};

}  // namespace surrogate::runtime
