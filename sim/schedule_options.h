// ScheduleOptions: which scheduling strategy a simulated run uses, its parameters and limits.
//
// A plain struct (a later issue reads it from TOML); ValidateScheduleOptions says what is
// accepted. Every strategy draws only from the run's "schedule" RNG stream.
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace northstar::sim {

enum class StrategyKind : uint8_t {
  // At each yield, switch to a uniformly chosen other runnable fiber with probability
  // switch_probability.
  kRandomWalk,
  // PCT (Burckhardt et al., ASPLOS 2010): random initial priorities, always run the highest-
  // priority runnable fiber, and lower the running fiber's priority at pct_depth - 1 change
  // points drawn uniformly over [1, pct_steps_estimate]. Finds a bug of depth d with
  // probability at least 1 / (n * k^(d-1)).
  kPct,
  // At each yield, switch to the next runnable fiber in index order (no randomness).
  kRoundRobin,
};

[[nodiscard]] const char* StrategyKindName(StrategyKind kind);

struct ScheduleOptions {
  StrategyKind strategy = StrategyKind::kRandomWalk;
  double switch_probability = 0.25;      // Random walk; in [0, 1].
  uint32_t pct_depth = 3;                // PCT's d: d - 1 change points; >= 1.
  uint64_t pct_steps_estimate = 10'000;  // PCT's k; >= 1.
  // Runaway: a run that needs more scheduler steps than this fails (DeadlineExceeded).
  uint64_t steps_max = 10'000'000;
  // Fibers one Scheduler may ever spawn (indices 1..fibers_max).
  uint32_t fibers_max = 64;
  uint64_t stack_size_bytes = uint64_t{256} << 10;
  // Virtual time one scheduler step takes.
  uint64_t step_duration_ns = 100;
};

inline constexpr uint32_t kFibersMaxLimit = 4096;
inline constexpr uint32_t kPctDepthMax = 64;

// InvalidArgument naming the first bad field; OK otherwise.
[[nodiscard]] absl::Status ValidateScheduleOptions(const ScheduleOptions& options);

}  // namespace northstar::sim
