// Strategy: the scheduler's choice of the next fiber at each step.
//
// The scheduler calls pick() at every decision: at a yield (the current fiber is still
// runnable), and when the current fiber blocks or ends (it is not). `runnable` is non-empty and
// sorted by fiber index, so that a choice depends only on the seed and the history, never on
// addresses. Strategies draw only from the Rng they are given (the "schedule" stream).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "sim/schedule_options.h"
#include "util/random.h"

namespace northstar::sim {

struct Decision {
  uint64_t step = 0;
  uint32_t current = 0;           // The fiber that ran the step (0: the main context).
  bool current_runnable = false;  // True at a yield; then `current` is in `runnable`.
  std::span<const uint32_t> runnable;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // A fiber was spawned (indices grow by one from 1).
  virtual void on_spawn(uint32_t fiber) = 0;
  // A member of decision.runnable.
  [[nodiscard]] virtual uint32_t pick(const Decision& decision) = 0;
};

// Precondition: ValidateScheduleOptions(options) is OK.
[[nodiscard]] std::unique_ptr<Strategy> MakeStrategy(const ScheduleOptions& options, Rng rng);

}  // namespace northstar::sim
