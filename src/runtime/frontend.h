// Frontend: how a block's machine code becomes the network's input. The
// network and the Predictor see only what a frontend gives them: a block as
// a sequence of instruction ids, and for each id the token ids (of the
// model's vocabulary) the token LSTM reads. Nothing below a Frontend in the
// runtime knows the instruction set.
//
// The .srg header's "frontend" names the frontend a model was trained with;
// make_frontend() makes it. There are three, all x86_token_frontend.h (LLVM
// 19's x86 decoder, the tokenizer of block/tokenizer.h, and the
// InstructionTable that skips both for bytes seen before):
// "llvm19-x86-tokens" gives token ids only; "llvm19-x86-dependencies" and
// "llvm19-x86-dependencies-v2" also give, per instruction of a block, the
// dependency features (first and second set) of block/dependencies.h. A model with other inputs
// (another ISA, other features) is a new frontend name, not a new file format.
//
// Invariants: instruction ids are dense (0 .. size()-1) and stable for the
// frontend's life; tokens(id) never changes once given. Not thread-safe
// while splitting; tokens(), size() and features() may be called from many
// threads while nobody splits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "block/dependencies.h"
#include "block/vocabulary.h"

namespace surrogate::runtime {

class Frontend {
 public:
  virtual ~Frontend() = default;

  // The name the .srg header records.
  virtual std::string_view name() const = 0;

  // Appends the instruction ids of the block whose machine code is `code` to
  // *ids. Throws InputError (where().byte: the offset in the block) for a
  // block it cannot read (bytes that do not decode, control flow inside the
  // block, no instruction), leaving *ids as it was.
  virtual void split(std::span<const std::uint8_t> code, std::vector<std::uint32_t>* ids) = 0;

  // Distinct instructions so far.
  virtual std::size_t size() const = 0;
  // The model's token ids of instruction `id` (< size()).
  virtual const std::vector<std::int32_t>& tokens(std::uint32_t id) const = 0;

  // How the instructions of the blocks split so far were found: by their
  // bytes, new bytes of known tokens, new (the three add up to them all).
  // Features per instruction beside its tokens (0: none), and those of a
  // block: n * feature_count() floats for the block of ids[0, n). They may
  // depend on the whole block (unlike tokens, which depend on the instruction).
  virtual std::size_t feature_count() const { return 0; }
  virtual void features(const std::uint32_t* ids, std::size_t n, float* out) const {}

  struct Counts {
    std::uint64_t byte_hits = 0, token_hits = 0, new_instructions = 0;
  };
  virtual Counts counts() const = 0;
};

// The frontend called `name` over the model's vocabulary; throws
// std::runtime_error naming the known frontends for any other name.
std::unique_ptr<Frontend> make_frontend(std::string_view name, const block::Vocabulary& vocabulary);

// The dependency features the frontend called `name` gives; throws
// std::runtime_error naming the known frontends for any other name.
block::DependencyFeatureSet dependency_feature_set(std::string_view name);

// The feature_count() of the frontend called `name`, or -1 for a name this
// build does not know; known_frontends() lists them ("a" or "b").
int frontend_features(std::string_view name);
std::string known_frontends();

}  // namespace surrogate::runtime
