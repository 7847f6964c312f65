#include "measure/quiet_canary_record.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "measure/estimate.h"
#include "util/atomic_file.h"

namespace surrogate::measure {
namespace {

constexpr double kQuietQuantile = 0.25;

std::string state_directory() {
  if (const char* d = std::getenv("SURROGATE_STATE_DIR")) return d;  // empty: disabled
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/surrogate";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/surrogate";
  return "";
}

}  // namespace

QuietCanaryRecord::QuietCanaryRecord(const std::string& identity, std::string method) : method_(std::move(method)) {
  const std::string dir = state_directory();
  if (dir.empty()) return;
  path_ = dir + "/measure-canaries-" + identity + ".json";
  load();
}

QuietCanaryRecord QuietCanaryRecord::at(std::string path, std::string method) {
  QuietCanaryRecord r;
  r.path_ = std::move(path);
  r.method_ = std::move(method);
  r.load();
  return r;
}

void QuietCanaryRecord::load() {
  runs_.clear();
  std::ifstream in(path_);
  if (!in) return;
  // A damaged or foreign file is the same as none: it is replaced by the next remember().
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("method", "") != method_ || !j.contains("runs") || !j["runs"].is_array()) return;
  for (const auto& r : j["runs"]) {
    if (!r.is_object() || !r.contains("zero_idioms") || !r.contains("loads")) continue;
    if (!r["zero_idioms"].is_number() || !r["loads"].is_number()) continue;
    const CanaryCycles c{r["zero_idioms"].get<double>(), r["loads"].get<double>()};
    if (c.zero_idioms > 0 && c.loads > 0 && std::isfinite(c.zero_idioms) && std::isfinite(c.loads)) runs_.push_back(c);
  }
  if (runs_.size() > kRememberedRuns) runs_.erase(runs_.begin(), runs_.end() - kRememberedRuns);
}

size_t QuietCanaryRecord::runs() const { return runs_.size(); }

CanaryCycles QuietCanaryRecord::quiet() const {
  if (runs_.empty()) return {};
  std::vector<double> zero, loads;
  for (const CanaryCycles& c : runs_) {
    zero.push_back(c.zero_idioms);
    loads.push_back(c.loads);
  }
  return {quantile(zero, kQuietQuantile), quantile(loads, kQuietQuantile)};
}

bool QuietCanaryRecord::remember(const CanaryCycles& run_baseline, std::string* why) {
  if (!enabled() || !(run_baseline.zero_idioms > 0) || !(run_baseline.loads > 0)) return true;
  runs_.push_back(run_baseline);
  if (runs_.size() > kRememberedRuns) runs_.erase(runs_.begin());
  nlohmann::json j;
  j["what"] =
      "canary baselines (cycles per iteration) of the last runs of surrogate measure on this host; delete to forget";
  j["method"] = method_;
  j["runs"] = nlohmann::json::array();
  for (const CanaryCycles& c : runs_) j["runs"].push_back({{"zero_idioms", c.zero_idioms}, {"loads", c.loads}});
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  try {
    util::write_file_atomically(path_, j.dump(1) + "\n");
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return false;
  }
  return true;
}

}  // namespace surrogate::measure
