#include "bench/macro_common.h"

#include <algorithm>

#include "bench/stats.h"

namespace northstar::bench {

void FirstError::record(const absl::Status& status) {
  std::lock_guard lock(mu_);
  if (error_.ok()) error_ = status;
}

absl::Status FirstError::get() {
  std::lock_guard lock(mu_);
  return error_;
}

uint64_t SteadyNanoseconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

uint64_t WallNanoseconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void AddLatencySummary(const std::string& name, std::vector<uint64_t> samples,
                       nlohmann::json& metrics) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  double total = 0;
  for (uint64_t sample : samples) total += static_cast<double>(sample);
  metrics[name + "_ns_p50"] = Percentile(samples, 0.50);
  metrics[name + "_ns_p99"] = Percentile(samples, 0.99);
  metrics[name + "_ns_max"] = samples.back();
  metrics[name + "_ns_mean"] = total / static_cast<double>(samples.size());
}

}  // namespace northstar::bench
