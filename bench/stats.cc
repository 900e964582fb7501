#include "bench/stats.h"

#include <algorithm>
#include <cmath>

#include "util/assert.h"

namespace northstar::bench {

uint64_t Percentile(std::span<const uint64_t> sorted, double fraction) {
  NS_ASSERT(!sorted.empty());
  NS_ASSERT(fraction > 0 && fraction <= 1);
  const double rank = std::ceil(fraction * static_cast<double>(sorted.size()));
  const size_t index = std::min(sorted.size(), static_cast<size_t>(std::max(1.0, rank))) - 1;
  return sorted[index];
}

double Median(std::vector<double> values) {
  NS_ASSERT(!values.empty());
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) return values[middle];
  return (values[middle - 1] + values[middle]) / 2;
}

std::optional<double> CoefficientOfVariation(std::span<const double> values) {
  if (values.size() < 2) return std::nullopt;
  double sum = 0;
  for (double value : values) sum += value;
  const double mean = sum / static_cast<double>(values.size());
  if (mean == 0) return std::nullopt;
  double squares = 0;
  for (double value : values) squares += (value - mean) * (value - mean);
  const double deviation = std::sqrt(squares / static_cast<double>(values.size() - 1));
  return deviation / std::abs(mean);
}

Stability StabilityOf(std::optional<double> cv) {
  if (!cv) return Stability::kSingle;
  if (*cv <= kStableCvMax) return Stability::kStable;
  if (*cv <= kNoisyCvMax) return Stability::kNoisy;
  return Stability::kUnstable;
}

const char* StabilityName(Stability stability) {
  switch (stability) {
    case Stability::kSingle:
      return "single";
    case Stability::kStable:
      return "stable";
    case Stability::kNoisy:
      return "noisy";
    case Stability::kUnstable:
      return "UNSTABLE";
  }
  return "?";
}

}  // namespace northstar::bench
