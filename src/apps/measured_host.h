// Which host a measured label set was measured on: `surrogate measure`
// writes MEASURED.meta.json beside its output; adapt and tune record it.
#pragma once

#include <string>

namespace surrogate::apps {

// The host identity in MEASURED.meta.json ("cpu"."identity"), or "" when
// the file is missing or does not say.
std::string measured_host(const std::string& measured);

}  // namespace surrogate::apps
