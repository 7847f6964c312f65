#include "runtime/token_trie.h"

#include "runtime/instruction_bytes.h"
#include "runtime/kernels.h"

namespace surrogate::runtime {

namespace {
std::size_t slot_of(std::uint64_t key, std::size_t mask) { return static_cast<std::size_t>(mix64(key)) & mask; }
}  // namespace

TokenTrie::TokenTrie(std::size_t width) : stride_(padded_outputs(2 * width)), slots_(1 << 12) {}

std::uint32_t TokenTrie::child(std::uint32_t parent, std::int32_t token, bool* added) {
  const std::uint64_t parent_code = parent == kRoot ? 0 : std::uint64_t{parent} + 1;
  const std::uint64_t key = parent_code << 32 | static_cast<std::uint32_t>(token);
  if (2 * (nodes_ + 1) > slots_.size()) {
    std::vector<Slot> slots(2 * slots_.size());
    const std::size_t mask = slots.size() - 1;
    for (const Slot& s : slots_) {
      if (s.key == kEmpty) continue;
      std::size_t i = slot_of(s.key, mask);
      while (slots[i].key != kEmpty) i = (i + 1) & mask;
      slots[i] = s;
    }
    slots_.swap(slots);
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(key, mask);
  for (; slots_[i].key != kEmpty; i = (i + 1) & mask)
    if (slots_[i].key == key) {
      *added = false;
      return slots_[i].node;
    }
  if (nodes_ / kChunkNodes >= chunks_.size()) chunks_.emplace_back(kChunkNodes * stride_);
  slots_[i] = {key, static_cast<std::uint32_t>(nodes_)};
  *added = true;
  return static_cast<std::uint32_t>(nodes_++);
}

void TokenTrie::clear() {
  nodes_ = 0;
  slots_.assign(1 << 12, Slot{});
}

}  // namespace surrogate::runtime
