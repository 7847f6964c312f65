#include "runtime/frontend.h"

#include <stdexcept>
#include <string>

#include "runtime/x86_token_frontend.h"

namespace surrogate::runtime {

std::unique_ptr<Frontend> make_frontend(std::string_view name, const Vocabulary& vocabulary) {
  for (bool dependencies : {false, true})
    if (name == X86TokenFrontend::name_of(dependencies))
      return std::make_unique<X86TokenFrontend>(vocabulary, dependencies);
  throw std::runtime_error("unknown frontend '" + std::string(name) + "' (this build knows " + known_frontends() + ")");
}

int frontend_features(std::string_view name) {
  if (name == X86TokenFrontend::name_of(false)) return 0;
  if (name == X86TokenFrontend::name_of(true)) return static_cast<int>(kDependencyFeatures);
  return -1;
}

std::string known_frontends() {
  return "\"" + std::string(X86TokenFrontend::name_of(false)) + "\" or \"" +
         std::string(X86TokenFrontend::name_of(true)) + "\"";
}

}  // namespace surrogate::runtime
