// Deterministic train / validation / test split by block hash: a block lands
// in the same split for every CPU, every labelling and every run (80/10/10).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace surrogate::dataset {

enum class Split { kTrain, kValidation, kTest };

// FNV-1a 64 of a block's bytes: the split's hash.
inline std::uint64_t block_hash(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

// bucket = block_hash % 100: [0,80) train, [80,90) validation, [90,100) test.
inline Split split_of(std::span<const std::uint8_t> bytes) {
  std::uint64_t bucket = block_hash(bytes) % 100;
  return bucket < 80 ? Split::kTrain : bucket < 90 ? Split::kValidation : Split::kTest;
}

// A draw order of blocks unrelated to the split's (block_hash through
// SplitMix64's finaliser): the first N blocks by this key keep the 80/10/10.
inline std::uint64_t sample_key(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = block_hash(bytes) + 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

inline const char* split_name(Split s) {
  return s == Split::kTrain ? "train" : s == Split::kValidation ? "validation" : "test";
}

}  // namespace surrogate::dataset
