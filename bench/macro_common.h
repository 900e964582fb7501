// What the macro benchmarks (macro/*) share: the first error of several threads, wall-clock
// timing, and latency summaries of samples a benchmark takes itself (per claim, per query kind)
// beside the harness's per-op timing.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace northstar::bench {

// The first error any thread recorded.
class FirstError {
 public:
  void record(const absl::Status& status);
  [[nodiscard]] absl::Status get();

 private:
  std::mutex mu_;
  absl::Status error_;
};

// Nanoseconds on the steady clock since an arbitrary origin.
[[nodiscard]] uint64_t SteadyNanoseconds();
// Nanoseconds since the Unix epoch (what a claim records as its time).
[[nodiscard]] uint64_t WallNanoseconds();

// Adds "<name>_ns_p50", "_p99", "_max" and "_mean" of `samples` (in nanoseconds) to `metrics`;
// nothing when there are none.
void AddLatencySummary(const std::string& name, std::vector<uint64_t> samples,
                       nlohmann::json& metrics);

// The last `count` elements of `samples` (all of them when there are fewer): the samples of the
// measured ops, which come after the warmup ops'.
template <typename T>
[[nodiscard]] std::span<const T> LastSamples(const std::vector<T>& samples, uint64_t count) {
  const size_t take = count < samples.size() ? static_cast<size_t>(count) : samples.size();
  return std::span<const T>(samples).subspan(samples.size() - take);
}

}  // namespace northstar::bench
