#include "runtime/frontend.h"

#include <stdexcept>
#include <string>

#include "runtime/x86_token_frontend.h"

namespace surrogate::runtime {

std::unique_ptr<Frontend> make_frontend(std::string_view name, const block::Vocabulary& vocabulary) {
  return std::make_unique<X86TokenFrontend>(vocabulary, dependency_feature_set(name));
}

block::DependencyFeatureSet dependency_feature_set(std::string_view name) {
  if (const auto set = X86TokenFrontend::set_of(name)) return *set;
  throw std::runtime_error("unknown frontend '" + std::string(name) + "' (this build knows " + known_frontends() + ")");
}

int frontend_features(std::string_view name) {
  const auto set = X86TokenFrontend::set_of(name);
  return set ? static_cast<int>(block::feature_count(*set)) : -1;
}

std::string known_frontends() {
  std::string out;
  const std::size_t n = std::size(X86TokenFrontend::kSets);
  for (std::size_t i = 0; i < n; ++i)
    out += (i == 0       ? ""
            : i + 1 == n ? " or "
                         : ", ") +
           ("\"" + std::string(X86TokenFrontend::name_of(X86TokenFrontend::kSets[i])) + "\"");
  return out;
}

}  // namespace surrogate::runtime
