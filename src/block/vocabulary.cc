#include "block/vocabulary.h"

#include <algorithm>
#include <stdexcept>

namespace surrogate::block {

Vocabulary::Vocabulary() : Vocabulary(std::vector<std::string>{"<pad>", "<unk>"}) {}

Vocabulary::Vocabulary(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  if (tokens_.size() < 2 || tokens_[0] != "<pad>" || tokens_[1] != "<unk>")
    throw std::invalid_argument("vocabulary must start with <pad>, <unk>");
  ids_.reserve(tokens_.size());  // one table, no rehash as it fills (every model load)
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (!ids_.emplace(tokens_[i], static_cast<std::int32_t>(i)).second)
      throw std::invalid_argument("vocabulary token '" + tokens_[i] + "' appears twice");
}

Vocabulary Vocabulary::build(const std::vector<InstructionTokens>& instructions, std::size_t min_count) {
  std::unordered_map<std::string, std::size_t> counts;
  for (const InstructionTokens& inst : instructions)
    for (const std::string& t : inst) ++counts[t];
  std::vector<std::pair<std::string, std::size_t>> kept;
  for (auto& [token, n] : counts)
    if (n >= min_count && token != "<pad>" && token != "<unk>") kept.emplace_back(token, n);
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> tokens{"<pad>", "<unk>"};
  for (auto& [token, n] : kept) tokens.push_back(token);
  return Vocabulary(std::move(tokens));
}

std::int32_t Vocabulary::id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnk : it->second;
}

std::vector<std::int32_t> Vocabulary::encode(const InstructionTokens& tokens) const {
  std::vector<std::int32_t> out;
  out.reserve(tokens.size());
  for (const std::string& t : tokens) out.push_back(id(t));
  return out;
}

}  // namespace surrogate::block
