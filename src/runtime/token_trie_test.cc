#include "runtime/token_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace surrogate::runtime {
namespace {

TEST(TokenTrie, OneNodePerPrefix) {
  TokenTrie trie(8);
  EXPECT_EQ(trie.stride(), 16u);
  bool added;
  const std::uint32_t a = trie.child(TokenTrie::kRoot, 5, &added);
  EXPECT_TRUE(added);
  EXPECT_EQ(trie.child(TokenTrie::kRoot, 5, &added), a);
  EXPECT_FALSE(added);
  const std::uint32_t ab = trie.child(a, 7, &added);
  EXPECT_TRUE(added);
  EXPECT_NE(ab, a);
  // Token 0 under the root and under a: distinct prefixes.
  const std::uint32_t zero = trie.child(TokenTrie::kRoot, 0, &added);
  EXPECT_TRUE(added);
  EXPECT_NE(trie.child(a, 0, &added), zero);
  EXPECT_TRUE(added);
  EXPECT_EQ(trie.size(), 4u);
  trie.clear();
  EXPECT_EQ(trie.size(), 0u);
  trie.child(TokenTrie::kRoot, 5, &added);
  EXPECT_TRUE(added);
}

// Many prefixes (the table grows, nodes span several chunks): every one is
// found again with its node, and the states stay where they were written.
TEST(TokenTrie, GrowsAndKeepsStates) {
  TokenTrie trie(4);
  std::map<std::pair<std::uint32_t, std::int32_t>, std::uint32_t> nodes;
  std::uint32_t parent = TokenTrie::kRoot;
  std::uint32_t random = 1;
  for (std::int32_t i = 0; i < 40000; ++i) {
    random = random * 1103515245u + 12345u;
    const std::int32_t token = static_cast<std::int32_t>(random >> 16) % 50;  // sequences of 8 tokens of 50
    if (i % 8 == 0) parent = TokenTrie::kRoot;
    bool added;
    const std::uint32_t node = trie.child(parent, token, &added);
    ASSERT_EQ(added, !nodes.count({parent, token}));
    if (added) {
      nodes[{parent, token}] = node;
      trie.state(node)[0] = static_cast<float>(node);
    }
    parent = node;
  }
  EXPECT_EQ(trie.size(), nodes.size());
  EXPECT_GT(trie.size(), 20000u);
  for (const auto& [key, node] : nodes) {
    bool added;
    ASSERT_EQ(trie.child(key.first, key.second, &added), node);
    ASSERT_FALSE(added);
    ASSERT_EQ(trie.state(node)[0], static_cast<float>(node));
  }
}

}  // namespace
}  // namespace surrogate::runtime
