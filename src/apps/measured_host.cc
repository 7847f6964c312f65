#include "apps/measured_host.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"

namespace surrogate::apps {

std::string measured_host(const std::string& measured) {
  const std::string meta = measured + ".meta.json";
  if (!std::filesystem::exists(meta)) return "";
  try {
    const nlohmann::json j = nlohmann::json::parse(util::read_file(meta));
    if (j.contains("cpu") && j["cpu"].is_object() && j["cpu"].contains("identity") && j["cpu"]["identity"].is_string())
      return j["cpu"]["identity"];
  } catch (const nlohmann::json::exception&) {
  }
  return "";
}

}  // namespace surrogate::apps
