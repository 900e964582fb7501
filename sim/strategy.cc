#include "sim/strategy.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "util/assert.h"

namespace northstar::sim {
namespace {

class RandomWalk final : public Strategy {
 public:
  RandomWalk(double switch_probability, Rng rng)
      : switch_probability_(switch_probability), rng_(rng) {}

  void on_spawn(uint32_t /*fiber*/) override {}

  uint32_t pick(const Decision& decision) override {
    const std::span<const uint32_t> runnable = decision.runnable;
    NS_ASSERT(!runnable.empty());
    if (!decision.current_runnable) return runnable[rng_.Uniform(runnable.size())];
    if (runnable.size() == 1 || !rng_.Chance(switch_probability_)) return decision.current;
    if (runnable.size() == 2) return runnable[0] == decision.current ? runnable[1] : runnable[0];
    // Uniform over the others: draw among all but the last slot; the current fiber's slot
    // stands for the last one.
    const uint32_t chosen = runnable[rng_.Uniform(runnable.size() - 1)];
    return chosen == decision.current ? runnable.back() : chosen;
  }

 private:
  const double switch_probability_;
  Rng rng_;
};

class RoundRobin final : public Strategy {
 public:
  void on_spawn(uint32_t /*fiber*/) override {}

  uint32_t pick(const Decision& decision) override {
    const std::span<const uint32_t> runnable = decision.runnable;
    NS_ASSERT(!runnable.empty());
    const auto next = std::upper_bound(runnable.begin(), runnable.end(), decision.current);
    return next == runnable.end() ? runnable.front() : *next;
  }
};

// Priorities: change point i (1-based) lowers the running fiber to priority i; initial
// priorities are random values above pct_depth, so every change point ranks below them all.
class Pct final : public Strategy {
 public:
  Pct(uint32_t depth, uint64_t steps_estimate, Rng rng) : depth_(depth), rng_(rng) {
    for (uint32_t index = 1; index < depth; index++) {
      change_points_.push_back(
          ChangePoint{rng_.UniformInclusive(1, steps_estimate), depth - index});
    }
    std::sort(change_points_.begin(), change_points_.end(),
              [](const ChangePoint& a, const ChangePoint& b) { return a.step < b.step; });
    priorities_.push_back(0);  // The main context never runs in a run.
  }

  void on_spawn(uint32_t fiber) override {
    NS_ASSERT(fiber == priorities_.size());
    const uint64_t range = std::numeric_limits<uint64_t>::max() - depth_;
    priorities_.push_back(depth_ + rng_.Uniform(range));
  }

  uint32_t pick(const Decision& decision) override {
    NS_ASSERT(!decision.runnable.empty());
    apply_change_points(decision);
    uint32_t chosen = decision.runnable.front();
    for (const uint32_t fiber : decision.runnable) {
      NS_ASSERT(fiber < priorities_.size());
      if (priorities_[fiber] > priorities_[chosen]) chosen = fiber;  // Ties: the lower index.
    }
    return chosen;
  }

 private:
  struct ChangePoint {
    uint64_t step;
    uint64_t priority;
  };

  void apply_change_points(const Decision& decision) {
    while (next_change_point_ < change_points_.size() &&
           change_points_[next_change_point_].step <= decision.step) {
      if (decision.current != 0) {
        priorities_[decision.current] = change_points_[next_change_point_].priority;
      }
      next_change_point_++;
    }
  }

  const uint64_t depth_;
  Rng rng_;
  std::vector<ChangePoint> change_points_;  // Sorted by step.
  size_t next_change_point_ = 0;
  std::vector<uint64_t> priorities_;  // By fiber index.
};

}  // namespace

std::unique_ptr<Strategy> MakeStrategy(const ScheduleOptions& options, Rng rng) {
  NS_ASSERT(ValidateScheduleOptions(options).ok());
  switch (options.strategy) {
    case StrategyKind::kRandomWalk:
      return std::make_unique<RandomWalk>(options.switch_probability, rng);
    case StrategyKind::kPct:
      return std::make_unique<Pct>(options.pct_depth, options.pct_steps_estimate, rng);
    case StrategyKind::kRoundRobin:
      return std::make_unique<RoundRobin>();
  }
  NS_ASSERT_MSG(false, "unknown StrategyKind");
  return nullptr;
}

}  // namespace northstar::sim
