// TokenTrie: token-LSTM states by token prefix, shared between instructions.
//
// Instructions share prefixes of their token sequences (the opcode and its
// sources come first, tokenizer.h: `MOV64rm <S> <M> B:RBP D:8 <D>` then the
// destination register), and the token LSTM's state after a prefix depends
// on that prefix alone. A node is a prefix: its parent node and its last
// token; it holds the state after it, [h | c] (stride() floats, 2W used).
// A new instruction then costs only the steps of the tokens no instruction
// before it had at that place. Node ids are dense and never move until
// clear().
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/page_buffer.h"

namespace surrogate::runtime {

class TokenTrie {
 public:
  static constexpr std::uint32_t kRoot = UINT32_MAX;  // the empty prefix (zero state), not stored

  explicit TokenTrie(std::size_t width);

  // The node of prefix `parent` + `token`; *added: it is new (its state is
  // to be computed by the caller before it is read).
  std::uint32_t child(std::uint32_t parent, std::int32_t token, bool* added);
  float* state(std::uint32_t node) const {
    return chunks_[node / kChunkNodes].data() + static_cast<std::size_t>(node % kChunkNodes) * stride_;
  }
  std::size_t stride() const { return stride_; }
  std::size_t size() const { return nodes_; }
  void clear();

 private:
  static constexpr std::size_t kChunkNodes = 8192;
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key = kEmpty;  // (parent + 1, the root 0) << 32 | token
    std::uint32_t node = 0;
  };
  std::size_t stride_;
  std::vector<PageBuffer> chunks_;  // kept when cleared
  std::size_t nodes_ = 0;
  std::vector<Slot> slots_;  // open addressing, linear probing, at most half full
};

}  // namespace surrogate::runtime
