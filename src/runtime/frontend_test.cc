// Frontend: the model's header names its frontend; the x86 one splits
// blocks into instruction ids, naming the byte of a block it cannot read and
// leaving the ids of the blocks before it alone.
#include "runtime/frontend.h"

#include <gtest/gtest.h>

#include "block/decoder.h"
#include "block/dependencies.h"
#include "runtime/x86_token_frontend.h"
#include "util/hex.h"
#include "util/input_error.h"

namespace surrogate::runtime {
namespace {

std::vector<std::uint8_t> hex(const std::string& text) {
  std::size_t offset;
  std::string error;
  return *util::parse_hex(text, &offset, &error);
}

TEST(Frontend, MadeByTheNameAModelRecords) {
  const block::Vocabulary vocabulary({"<pad>", "<unk>", "ADD64rr", "<S>", "RAX", "RBX", "<D>", "<E>", "EFLAGS"});
  std::unique_ptr<Frontend> frontend = make_frontend("llvm19-x86-tokens", vocabulary);
  EXPECT_EQ(frontend->name(), "llvm19-x86-tokens");
  EXPECT_EQ(frontend->feature_count(), 0u);
  EXPECT_EQ(frontend_features("llvm19-x86-tokens"), 0);
  EXPECT_EQ(make_frontend("llvm19-x86-dependencies", vocabulary)->feature_count(), 8u);
  EXPECT_EQ(frontend_features("llvm19-x86-dependencies"), 8);
  EXPECT_EQ(make_frontend("llvm19-x86-dependencies-v2", vocabulary)->feature_count(), 10u);
  EXPECT_EQ(frontend_features("llvm19-x86-dependencies-v2"), 10);
  EXPECT_EQ(frontend_features("granite-graph"), -1);
  try {
    make_frontend("granite-graph", vocabulary);
    ADD_FAILURE() << "an unknown frontend was made";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "unknown frontend 'granite-graph' (this build knows \"llvm19-x86-tokens\", "
                 "\"llvm19-x86-dependencies\" or \"llvm19-x86-dependencies-v2\")");
  }
}

TEST(Frontend, X86SplitsBlocksIntoInstructionIds) {
  const block::Vocabulary vocabulary({"<pad>", "<unk>", "ADD64rr", "<S>", "RAX", "RBX", "<D>", "<E>", "EFLAGS"});
  X86TokenFrontend frontend(vocabulary);
  std::vector<std::uint32_t> ids;
  frontend.split(hex("4801d84801d84801c0"), &ids);  // add %rbx,%rax twice; add %rax,%rax
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{0, 0, 1}));
  EXPECT_EQ(frontend.size(), 2u);
  // add rbx, rax: ADD64rr <S> RAX RBX <D> RAX EFLAGS <E> (the tied source first).
  EXPECT_EQ(frontend.tokens(0), (std::vector<std::int32_t>{2, 3, 4, 5, 6, 4, 8, 7}));
  frontend.split(hex("4801d8c3"), &ids);  // a trailing return is dropped, as the decoder does
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{0, 0, 1, 0}));
  const Frontend::Counts counts = frontend.counts();
  EXPECT_EQ(counts.byte_hits + counts.token_hits + counts.new_instructions, 4u);
  EXPECT_EQ(counts.new_instructions, 2u);

  for (const auto& [bad, byte] : {std::pair{"4801d8ff", 3u}, std::pair{"75fe4801d8", 0u}}) {
    try {
      frontend.split(hex(bad), &ids);
      ADD_FAILURE() << bad << " was split";
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().byte, byte) << bad << ": " << e.what();
    }
    EXPECT_EQ(ids.size(), 4u) << bad << " left ids behind";
  }
}

// The dependency frontend's features of a block are those of the decoded
// block, without decoding instructions it has seen.
TEST(Frontend, DependencyFeaturesAreTheDecodedBlocks) {
  const block::Vocabulary vocabulary({"<pad>", "<unk>", "MOV64rm", "IMUL64rr", "<S>", "<D>", "<E>", "RAX", "RDI"});
  for (const block::DependencyFeatureSet set : {block::DependencyFeatureSet::kV1, block::DependencyFeatureSet::kV2}) {
    X86TokenFrontend frontend(vocabulary, set);
    // movq 16(%rdi), %rax; movq 40(%rax), %rdi; imulq %rax, %rax; imulq %rax, %rax (imul twice: one id).
    for (const char* block : {"488b4710488b7828", "480fafc0480fafc0", "488b4710488b7828480fafc0"}) {
      std::vector<std::uint32_t> ids;
      frontend.split(hex(block), &ids);
      std::vector<float> got(ids.size() * feature_count(set));
      frontend.features(ids.data(), ids.size(), got.data());
      std::size_t offset;
      std::string error;
      const block::BasicBlock decoded =
          block::Decoder().decode_block(*util::parse_hex(block, &offset, &error), "b", {}, nullptr);
      std::vector<float> want(decoded.instructions.size() * feature_count(set));
      block::dependency_features(decoded, set, want.data());
      EXPECT_EQ(got, want) << block;
    }
    EXPECT_EQ(frontend.counts().new_instructions, 3u);
  }
}

}  // namespace
}  // namespace surrogate::runtime
