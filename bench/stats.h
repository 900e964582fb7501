// Statistics over op latencies (one repeat) and over repeats (one benchmark).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace northstar::bench {

// The nearest-rank percentile (0 < fraction <= 1) of `sorted` (ascending, not empty): the
// smallest sample with at least fraction * n samples at or below it.
[[nodiscard]] uint64_t Percentile(std::span<const uint64_t> sorted, double fraction);

// The median of `values` (not empty): the middle one, or the mean of the two middle ones.
[[nodiscard]] double Median(std::vector<double> values);

// Coefficient of variation: sample standard deviation / mean; nullopt for fewer than two values
// or a zero mean.
[[nodiscard]] std::optional<double> CoefficientOfVariation(std::span<const double> values);

// How far repeats of one benchmark agree, from their coefficient of variation of throughput.
enum class Stability { kSingle, kStable, kNoisy, kUnstable };
inline constexpr double kStableCvMax = 0.03;  // CV <= 3%: stable.
inline constexpr double kNoisyCvMax = 0.10;   // CV <= 10%: noisy; above: unstable.

[[nodiscard]] Stability StabilityOf(std::optional<double> cv);
// "single" (one repeat), "stable", "noisy", "UNSTABLE".
[[nodiscard]] const char* StabilityName(Stability stability);

}  // namespace northstar::bench
