#include "sim/schedule_options.h"

#include "absl/strings/str_format.h"
#include "sim/fiber_stack.h"
#include "util/assert.h"

namespace northstar::sim {

const char* StrategyKindName(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kRandomWalk:
      return "random_walk";
    case StrategyKind::kPct:
      return "pct";
    case StrategyKind::kRoundRobin:
      return "round_robin";
  }
  NS_ASSERT_MSG(false, "unknown StrategyKind");
  return "unknown";
}

absl::Status ValidateScheduleOptions(const ScheduleOptions& options) {
  if (!(options.switch_probability >= 0.0 && options.switch_probability <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "switch_probability must be in [0, 1], not %g", options.switch_probability));
  }
  if (options.pct_depth < 1 || options.pct_depth > kPctDepthMax) {
    return absl::InvalidArgumentError(absl::StrFormat("pct_depth must be in [1, %d], not %d",
                                                      kPctDepthMax, options.pct_depth));
  }
  if (options.pct_steps_estimate < 1) {
    return absl::InvalidArgumentError("pct_steps_estimate must be at least 1");
  }
  if (options.steps_max < 1) return absl::InvalidArgumentError("steps_max must be at least 1");
  if (options.fibers_max < 1 || options.fibers_max > kFibersMaxLimit) {
    return absl::InvalidArgumentError(absl::StrFormat("fibers_max must be in [1, %d], not %d",
                                                      kFibersMaxLimit, options.fibers_max));
  }
  if (options.stack_size_bytes < kStackSizeMinBytes ||
      options.stack_size_bytes > kStackSizeMaxBytes || options.stack_size_bytes % 4096 != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "stack_size_bytes must be a multiple of 4096 in [%d, %d], not %d", kStackSizeMinBytes,
        kStackSizeMaxBytes, options.stack_size_bytes));
  }
  return absl::OkStatus();
}

}  // namespace northstar::sim
